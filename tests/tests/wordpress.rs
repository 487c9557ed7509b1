//! The WordPress integration against a real WordPress (issue 14): the test
//! WordPress itself, integrations CRUD, test-connection, publishing.

use igny8_e2e::wordpress;

#[tokio::test]
async fn a_real_wordpress_starts_with_an_application_password_and_the_companion_plugin() {
    let wp = wordpress::shared();
    let http = igny8_e2e::http();
    // Sent: GET /wp-json/wp/v2/users/me?context=edit with the application password.
    let me: serde_json::Value = http
        .get(wp.url("/wp-json/wp/v2/users/me?context=edit"))
        .basic_auth(&wp.username, Some(&wp.application_password))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Came back: the admin, with the capabilities publishing needs.
    assert_eq!(me["username"], "admin", "{me}");
    assert_eq!(me["capabilities"]["publish_posts"], true);
    assert_eq!(me["capabilities"]["upload_files"], true);
    // The login password never works for REST: 401 rest_not_logged_in... or
    // incorrect_password (the user exists).
    let resp = http
        .get(wp.url("/wp-json/wp/v2/users/me?context=edit"))
        .basic_auth(&wp.username, Some(xtask::wordpress::ADMIN_LOGIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    // The companion plugin is active: its namespace is listed.
    let index: serde_json::Value = http.get(wp.url("/wp-json/")).send().await.unwrap().json().await.unwrap();
    let namespaces: Vec<&str> = index["namespaces"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert!(namespaces.contains(&"igny8/v1") && namespaces.contains(&"yoast/v1"), "{namespaces:?}");
    assert!(wp.startup < std::time::Duration::from_secs(20), "start-up took {:?}", wp.startup);
}
