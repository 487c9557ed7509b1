<?php
/**
 * Plugin Name: IGNY8 Connector
 * Description: Companion of the IGNY8 platform: exposes the igny8_content_id post meta over REST (so a publish retried after a crash finds its post) and sends signed webhooks to IGNY8 when posts change.
 * Version: 0.1.0
 * Requires at least: 5.6
 * Requires PHP: 7.4
 * License: GPL-2.0-or-later
 * License URI: https://www.gnu.org/licenses/gpl-2.0.html
 *
 * No dependencies. Settings: Settings > IGNY8 (webhook endpoint and secret).
 */

if (!defined('ABSPATH')) {
    exit;
}

define('IGNY8_CONNECTOR_VERSION', '0.1.0');

/** The meta key IGNY8 writes on create and searches on redelivery. */
add_action('init', function () {
    register_post_meta('post', 'igny8_content_id', array(
        'type' => 'string',
        'single' => true,
        'show_in_rest' => true,
        'auth_callback' => function () {
            return current_user_can('edit_posts');
        },
    ));
});

/** `?igny8_content_id=<id>` on GET /wp/v2/posts: the posts carrying that meta value (any status, for editors). */
add_filter('rest_post_query', function ($args, $request) {
    $id = $request->get_param('igny8_content_id');
    if (is_string($id) && $id !== '' && current_user_can('edit_posts')) {
        $args['meta_key'] = 'igny8_content_id';
        $args['meta_value'] = sanitize_text_field($id);
    }
    return $args;
}, 10, 2);

/** The connector's namespace, so IGNY8's connection test can tell it is active. */
add_action('rest_api_init', function () {
    register_rest_route('igny8/v1', '/status', array(
        'methods' => 'GET',
        'permission_callback' => '__return_true',
        'callback' => function () {
            // Whether this request's Authorization header reached PHP: tells
            // "wrong credentials" from "the server strips the header".
            $seen = isset($_SERVER['PHP_AUTH_USER']) || !empty($_SERVER['HTTP_AUTHORIZATION']) || !empty($_SERVER['REDIRECT_HTTP_AUTHORIZATION']);
            return array('version' => IGNY8_CONNECTOR_VERSION, 'webhooks' => igny8_connector_endpoint() !== '', 'authorization_header' => $seen);
        },
    ));
});

function igny8_connector_endpoint() {
    return (string) get_option('igny8_connector_endpoint', '');
}

/**
 * Sends one signed webhook: body JSON, headers X-IGNY8-Timestamp,
 * X-IGNY8-Delivery and X-IGNY8-Signature = sha256=HMAC-SHA256(secret, timestamp + "." + body).
 */
function igny8_connector_send($event, $post_id) {
    $endpoint = igny8_connector_endpoint();
    $secret = (string) get_option('igny8_connector_secret', '');
    if ($endpoint === '' || $secret === '') {
        return;
    }
    // IGNY8's own writes through REST carry the marker header: no echo back.
    if (defined('REST_REQUEST') && REST_REQUEST && isset($_SERVER['HTTP_X_IGNY8_ORIGIN'])) {
        return;
    }
    $post = get_post($post_id);
    if (!$post || $post->post_type !== 'post' || wp_is_post_revision($post_id) || wp_is_post_autosave($post_id)) {
        return;
    }
    $body = wp_json_encode(array(
        'event' => $event,
        'post_id' => (int) $post_id,
        'status' => $post->post_status,
        'modified_gmt' => $post->post_modified_gmt,
        'igny8_content_id' => (string) get_post_meta($post_id, 'igny8_content_id', true),
    ));
    $timestamp = (string) time();
    $delivery = wp_generate_uuid4();
    $signature = 'sha256=' . hash_hmac('sha256', $timestamp . '.' . $body, $secret);
    wp_remote_post($endpoint, array(
        'timeout' => 5,
        'blocking' => true,
        'headers' => array(
            'Content-Type' => 'application/json',
            'X-IGNY8-Timestamp' => $timestamp,
            'X-IGNY8-Delivery' => $delivery,
            'X-IGNY8-Signature' => $signature,
        ),
        'body' => $body,
    ));
}

add_action('save_post_post', function ($post_id, $post, $update) {
    igny8_connector_send($update ? 'post.updated' : 'post.created', $post_id);
}, 10, 3);

add_action('transition_post_status', function ($new, $old, $post) {
    if ($new !== $old && $old !== 'new' && $post->post_type === 'post') {
        igny8_connector_send('post.status_changed', $post->ID);
    }
}, 10, 3);

add_action('before_delete_post', function ($post_id) {
    igny8_connector_send('post.deleted', $post_id);
});

/** Settings > IGNY8: the webhook endpoint and secret (shown once by IGNY8 when the integration is created). */
add_action('admin_menu', function () {
    add_options_page('IGNY8', 'IGNY8', 'manage_options', 'igny8-connector', 'igny8_connector_settings_page');
});

add_action('admin_init', function () {
    register_setting('igny8_connector', 'igny8_connector_endpoint', array('type' => 'string', 'sanitize_callback' => 'esc_url_raw'));
    register_setting('igny8_connector', 'igny8_connector_secret', array('type' => 'string', 'sanitize_callback' => 'sanitize_text_field'));
});

function igny8_connector_settings_page() {
    if (!current_user_can('manage_options')) {
        return;
    }
    echo '<div class="wrap"><h1>IGNY8</h1><form method="post" action="options.php">';
    settings_fields('igny8_connector');
    echo '<table class="form-table">';
    echo '<tr><th><label for="igny8_connector_endpoint">Webhook endpoint</label></th><td><input type="url" class="regular-text" id="igny8_connector_endpoint" name="igny8_connector_endpoint" value="' . esc_attr(igny8_connector_endpoint()) . '"></td></tr>';
    echo '<tr><th><label for="igny8_connector_secret">Webhook secret</label></th><td><input type="password" class="regular-text" id="igny8_connector_secret" name="igny8_connector_secret" value="' . esc_attr((string) get_option('igny8_connector_secret', '')) . '"></td></tr>';
    echo '</table>';
    submit_button();
    echo '</form></div>';
}
