//! Cookie-mode sessions for the browser app.
//!
//! A client asks for cookie mode with the request header
//! `X-Session-Mode: cookie` on register, login, refresh, logout and password
//! change. Then the refresh token never appears in JSON:
//!
//! - `igny8_refresh` holds it: `HttpOnly; Secure; SameSite=Strict;
//!   Path=/api/v1/auth` (script cannot read it; the browser sends it only to
//!   the auth routes, only from our own site).
//! - `igny8_csrf` holds the session's CSRF token: readable by script
//!   (not `HttpOnly`), `Path=/`, `Secure; SameSite=Strict`. It is an HMAC of
//!   the refresh token's family under a server key ([`Tokens::csrf_for`]).
//!
//! A cookie-authenticated refresh or logout must send `X-CSRF-Token` equal to
//! the CSRF cookie *and* to the HMAC of the refresh cookie's family: a
//! double-submit bound to the session, so a cookie planted from elsewhere
//! cannot be paired with the victim's refresh cookie. `SameSite=Strict`
//! already keeps the cookie off cross-site requests, and the two custom
//! headers force a CORS preflight that our API never grants cross-origin.
//! Without the header or with a wrong one: 403 `CSRF_FAILED`.
//!
//! Clients that do not send the header get JSON tokens exactly as before.

use super::token::{TokenType, Tokens};
use crate::accounts::TokenPair;
use crate::error::{AppError, AppResult};
use http::{HeaderMap, HeaderName, HeaderValue};

pub const MODE_HEADER: &str = "x-session-mode";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const REFRESH_COOKIE: &str = "igny8_refresh";
pub const CSRF_COOKIE: &str = "igny8_csrf";
/// The refresh cookie goes to the auth routes only.
pub const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";

/// How the client wants its session delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Refresh token in the JSON body (API clients; the default).
    Json,
    /// Refresh token in an `HttpOnly` cookie, CSRF-protected (the browser app).
    Cookie,
}

/// The mode the request asks for: `X-Session-Mode: cookie` or `json`
/// (absent: json). Any other value is a 400 naming the header.
pub fn mode(headers: &HeaderMap) -> AppResult<Mode> {
    match headers.get(MODE_HEADER).map(|v| v.to_str().map(str::trim)) {
        None => Ok(Mode::Json),
        Some(Ok(v)) if v.eq_ignore_ascii_case("cookie") => Ok(Mode::Cookie),
        Some(Ok(v)) if v.eq_ignore_ascii_case("json") || v.is_empty() => Ok(Mode::Json),
        Some(_) => Err(AppError::field("X-Session-Mode", "must be cookie or json")),
    }
}

/// The value of cookie `name` in the request's `Cookie` header(s).
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn set_cookie(value: String) -> (HeaderName, HeaderValue) {
    // Token values are base64url and dots: always a valid header value.
    (http::header::SET_COOKIE, HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("")))
}

/// In cookie mode: takes the refresh token out of `pair` (so the JSON leaves
/// it out) and returns the two `Set-Cookie` headers. In JSON mode: nothing.
pub fn deliver(tokens: &Tokens, mode: Mode, pair: &mut TokenPair) -> AppResult<Vec<(HeaderName, HeaderValue)>> {
    if mode == Mode::Json {
        return Ok(Vec::new());
    }
    let Some(refresh) = pair.refresh.take() else { return Ok(Vec::new()) };
    let claims = tokens.verify(&refresh, TokenType::Refresh)?;
    let family = claims.fam.ok_or_else(|| AppError::internal("a refresh token without a family"))?;
    let max_age = pair.refresh_expires_in;
    Ok(vec![
        set_cookie(format!("{REFRESH_COOKIE}={refresh}; Path={REFRESH_COOKIE_PATH}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict")),
        set_cookie(format!("{CSRF_COOKIE}={}; Path=/; Max-Age={max_age}; Secure; SameSite=Strict", tokens.csrf_for(&family))),
    ])
}

/// The `Set-Cookie` headers that remove both cookies (logout).
pub fn clear() -> Vec<(HeaderName, HeaderValue)> {
    vec![
        set_cookie(format!("{REFRESH_COOKIE}=; Path={REFRESH_COOKIE_PATH}; Max-Age=0; HttpOnly; Secure; SameSite=Strict")),
        set_cookie(format!("{CSRF_COOKIE}=; Path=/; Max-Age=0; Secure; SameSite=Strict")),
    ]
}

/// The refresh token of a cookie-mode request, after the CSRF check:
/// no refresh cookie → 401 `UNAUTHORIZED`; no `X-CSRF-Token`, or one that
/// differs from the CSRF cookie or is not the refresh cookie's → 403
/// `CSRF_FAILED`. (The token itself is verified again by the caller.)
pub fn refresh_from_cookie(tokens: &Tokens, headers: &HeaderMap) -> AppResult<String> {
    let refresh = cookie(headers, REFRESH_COOKIE).ok_or_else(|| AppError::Unauthorized("no session cookie; sign in again".into()))?;
    let presented = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    let Some(presented) = presented else {
        return Err(AppError::Csrf("the X-CSRF-Token header is required with the session cookie".into()));
    };
    if cookie(headers, CSRF_COOKIE) != Some(presented) {
        return Err(AppError::Csrf("the X-CSRF-Token header does not match the CSRF cookie".into()));
    }
    let claims = tokens.verify(refresh, TokenType::Refresh)?;
    let family = claims.fam.as_deref().ok_or_else(|| AppError::Unauthorized("the token is invalid".into()))?;
    if !tokens.csrf_matches(family, presented) {
        return Err(AppError::Csrf("the X-CSRF-Token header does not belong to this session".into()));
    }
    Ok(refresh.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::auth::token::Claims;

    const SECRET: &[u8] = b"unit-test-secret-unit-test-secret-0000";

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn pair(tokens: &Tokens, family: &str) -> TokenPair {
        let now = crate::ids::now_epoch();
        TokenPair {
            access: "a".into(),
            refresh: Some(tokens.sign(&Claims::refresh("U", "A", Role::Owner, 0, family, now)).unwrap()),
            token_type: "Bearer",
            expires_in: 3600,
            refresh_expires_in: 604800,
        }
    }

    #[test]
    fn the_mode_header_is_cookie_or_json_and_nothing_else() {
        assert_eq!(mode(&headers(&[])).unwrap(), Mode::Json);
        assert_eq!(mode(&headers(&[("x-session-mode", "Cookie")])).unwrap(), Mode::Cookie);
        assert_eq!(mode(&headers(&[("x-session-mode", "json")])).unwrap(), Mode::Json);
        let err = mode(&headers(&[("x-session-mode", "bearer")])).unwrap_err();
        assert_eq!(err.code(), "VALIDATION_ERROR");
    }

    #[test]
    fn cookie_mode_moves_the_refresh_token_into_an_httponly_cookie() {
        let t = Tokens::new(SECRET);
        let mut p = pair(&t, "F1");
        let refresh = p.refresh.clone().unwrap();
        assert!(deliver(&t, Mode::Json, &mut p).unwrap().is_empty());
        assert_eq!(p.refresh.as_deref(), Some(refresh.as_str()), "JSON mode keeps the token in the body");
        let cookies = deliver(&t, Mode::Cookie, &mut p).unwrap();
        assert!(p.refresh.is_none(), "cookie mode leaves it out of the body");
        let values: Vec<&str> = cookies.iter().map(|(_, v)| v.to_str().unwrap()).collect();
        assert_eq!(
            values[0],
            format!("igny8_refresh={refresh}; Path=/api/v1/auth; Max-Age=604800; HttpOnly; Secure; SameSite=Strict")
        );
        assert_eq!(values[1], format!("igny8_csrf={}; Path=/; Max-Age=604800; Secure; SameSite=Strict", t.csrf_for("F1")));
        assert!(clear().iter().all(|(_, v)| v.to_str().unwrap().contains("Max-Age=0")));
    }

    #[test]
    fn a_cookie_refresh_needs_the_csrf_header_matching_both_cookie_and_session() {
        let t = Tokens::new(SECRET);
        let refresh = pair(&t, "F1").refresh.unwrap();
        let csrf = t.csrf_for("F1");
        let other = t.csrf_for("F2");
        let jar = format!("igny8_refresh={refresh}; igny8_csrf={csrf}");
        let ok = refresh_from_cookie(&t, &headers(&[("cookie", jar.as_str()), ("x-csrf-token", csrf.as_str())])).unwrap();
        assert_eq!(ok, refresh);
        // Cookies may arrive in separate headers (HTTP/2, API Gateway's cookies list).
        let (c1, c2) = (format!("igny8_csrf={csrf}"), format!("igny8_refresh={refresh}"));
        let split = headers(&[("cookie", c1.as_str()), ("cookie", c2.as_str()), ("x-csrf-token", csrf.as_str())]);
        assert_eq!(refresh_from_cookie(&t, &split).unwrap(), refresh);
        let code = |h: HeaderMap| refresh_from_cookie(&t, &h).unwrap_err().code();
        assert_eq!(code(headers(&[("x-csrf-token", csrf.as_str())])), "UNAUTHORIZED", "no refresh cookie");
        assert_eq!(code(headers(&[("cookie", jar.as_str())])), "CSRF_FAILED", "no header");
        assert_eq!(code(headers(&[("cookie", jar.as_str()), ("x-csrf-token", other.as_str())])), "CSRF_FAILED", "header differs from the cookie");
        // A planted pair (another session's CSRF value in both places).
        let planted = format!("igny8_refresh={refresh}; igny8_csrf={other}");
        assert_eq!(code(headers(&[("cookie", planted.as_str()), ("x-csrf-token", other.as_str())])), "CSRF_FAILED", "not this session's token");
        let bad = format!("igny8_refresh=not-a-jwt; igny8_csrf={csrf}");
        assert_eq!(code(headers(&[("cookie", bad.as_str()), ("x-csrf-token", csrf.as_str())])), "UNAUTHORIZED");
    }
}
