//! JWTs: HS256, claims `sub, account_id, role, typ, jti, iat, exp` (plus `fam`,
//! the rotation family, on refresh tokens). Access tokens live 1 h, refresh
//! tokens 7 d. Only HS256 is accepted (so `alg: none` and algorithm confusion
//! fail), the issuer is checked, expiry has no leeway, and an access token is
//! never accepted where a refresh token is expected or the other way round.

use super::guard::Role;
use crate::error::{AppError, AppResult};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const ACCESS_TTL_SECS: i64 = 60 * 60;
pub const REFRESH_TTL_SECS: i64 = 7 * 24 * 60 * 60;
pub const ISSUER: &str = "igny8";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Claims {
    pub iss: String,
    /// The user id.
    pub sub: String,
    pub account_id: String,
    pub role: Role,
    pub typ: TokenType,
    pub jti: String,
    /// Refresh-token family (rotation chain); refresh tokens only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fam: Option<String>,
    /// The user's session version when issued; bumped by a password change or
    /// deactivation, which revokes every earlier token at once.
    #[serde(default)]
    pub sv: u64,
    pub iat: i64,
    pub exp: i64,
}

impl Claims {
    pub fn access(user_id: &str, account_id: &str, role: Role, sv: u64, now: i64) -> Self {
        Self {
            iss: ISSUER.into(),
            sub: user_id.into(),
            account_id: account_id.into(),
            role,
            typ: TokenType::Access,
            jti: crate::ids::new_id(),
            fam: None,
            sv,
            iat: now,
            exp: now + ACCESS_TTL_SECS,
        }
    }

    pub fn refresh(user_id: &str, account_id: &str, role: Role, sv: u64, family: &str, now: i64) -> Self {
        Self {
            typ: TokenType::Refresh,
            fam: Some(family.into()),
            exp: now + REFRESH_TTL_SECS,
            ..Self::access(user_id, account_id, role, sv, now)
        }
    }
}

/// Signs and verifies tokens with the platform secret.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Key of the CSRF tokens of cookie sessions ([`Tokens::csrf_for`]):
    /// derived from the platform secret, never the secret itself.
    csrf_key: [u8; 32],
}

fn unauthorized(msg: &str) -> AppError {
    AppError::Unauthorized(msg.into())
}

impl Tokens {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss"]);
        let csrf_key = hmac_sha256(secret, b"igny8 csrf key v1");
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), validation, csrf_key }
    }

    /// The CSRF token of a cookie session: an HMAC of the sign-in's refresh
    /// family under a key only the server knows. It is sent to the browser in
    /// a readable cookie and must come back in `X-CSRF-Token`; because it is
    /// bound to the refresh cookie's family, a cookie planted by someone else
    /// (a sibling subdomain) cannot be paired with a victim's refresh cookie.
    pub fn csrf_for(&self, family: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hmac_sha256(&self.csrf_key, family.as_bytes()))
    }

    /// True when `presented` is the CSRF token of `family` (constant time).
    pub fn csrf_matches(&self, family: &str, presented: &str) -> bool {
        use subtle::ConstantTimeEq;
        let expected = self.csrf_for(family);
        expected.len() == presented.len() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
    }

    pub fn sign(&self, claims: &Claims) -> AppResult<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding).map_err(AppError::internal)
    }

    /// Verifies signature, algorithm, issuer, expiry and token type.
    pub fn verify(&self, token: &str, expected: TokenType) -> AppResult<Claims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => unauthorized("the token has expired"),
                _ => unauthorized("the token is invalid"),
            }
        })?;
        let claims = data.claims;
        if claims.typ != expected {
            return Err(unauthorized(match expected {
                TokenType::Access => "a refresh token cannot be used as an access token",
                TokenType::Refresh => "an access token cannot be used as a refresh token",
            }));
        }
        if claims.iat > crate::ids::now_epoch() + 60 {
            return Err(unauthorized("the token is invalid"));
        }
        Ok(claims)
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const SECRET: &[u8] = b"unit-test-secret-unit-test-secret-0000";

    fn now() -> i64 {
        crate::ids::now_epoch()
    }

    #[test]
    fn round_trip_and_type_separation() {
        let t = Tokens::new(SECRET);
        let access = t.sign(&Claims::access("U", "A", Role::Editor, 0, now())).unwrap();
        let c = t.verify(&access, TokenType::Access).unwrap();
        assert_eq!((c.sub.as_str(), c.account_id.as_str(), c.role), ("U", "A", Role::Editor));
        assert_eq!(c.exp - c.iat, ACCESS_TTL_SECS);
        assert!(t.verify(&access, TokenType::Refresh).is_err());
        let refresh = t.sign(&Claims::refresh("U", "A", Role::Editor, 0, "F", now())).unwrap();
        assert_eq!(t.verify(&refresh, TokenType::Refresh).unwrap().fam.as_deref(), Some("F"));
        assert!(t.verify(&refresh, TokenType::Access).is_err());
    }

    #[test]
    fn csrf_tokens_are_bound_to_the_family_and_the_secret() {
        let t = Tokens::new(SECRET);
        let a = t.csrf_for("FAMILY-A");
        assert_eq!(a, t.csrf_for("FAMILY-A"), "stable for one sign-in");
        assert_ne!(a, t.csrf_for("FAMILY-B"));
        assert_ne!(a, Tokens::new(b"another-secret-another-secret-another!!").csrf_for("FAMILY-A"));
        assert!(t.csrf_matches("FAMILY-A", &a));
        assert!(!t.csrf_matches("FAMILY-B", &a));
        assert!(!t.csrf_matches("FAMILY-A", ""));
        assert!(!t.csrf_matches("FAMILY-A", &a[1..]));
    }

    #[test]
    fn attacks_are_rejected() {
        let t = Tokens::new(SECRET);
        let good = t.sign(&Claims::access("U", "A", Role::Owner, 0, now())).unwrap();
        let parts: Vec<&str> = good.split('.').collect();
        // alg none, signature stripped
        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let alg_none = format!("{none_header}.{}.", parts[1]);
        // signed with another secret
        let other = Tokens::new(b"another-secret-another-secret-another!!").sign(&Claims::access("U", "A", Role::Owner, 0, now())).unwrap();
        // payload swapped (role escalation) under the old signature
        let mut forged_claims = Claims::access("U", "A", Role::Owner, 0, now());
        forged_claims.account_id = "B".into();
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged_claims).unwrap());
        let swapped = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        // expired
        let expired = t.sign(&Claims { exp: now() - 1, iat: now() - 3601, ..Claims::access("U", "A", Role::Owner, 0, now()) }).unwrap();
        // wrong issuer
        let foreign = t.sign(&Claims { iss: "someone-else".into(), ..Claims::access("U", "A", Role::Owner, 0, now()) }).unwrap();
        // issued in the future (beyond a minute of clock skew), correctly signed
        let future = t.sign(&Claims { iat: now() + 3600, exp: now() + 7200, ..Claims::access("U", "A", Role::Owner, 0, now()) }).unwrap();
        for (case, token) in [
            ("alg none", alg_none.as_str()),
            ("wrong signature", other.as_str()),
            ("payload swapped", swapped.as_str()),
            ("expired", expired.as_str()),
            ("wrong issuer", foreign.as_str()),
            ("issued in the future", future.as_str()),
            ("malformed", "not.a.jwt"),
            ("empty", ""),
        ] {
            let err = t.verify(token, TokenType::Access).expect_err(case);
            assert_eq!(err.code(), "UNAUTHORIZED", "{case}");
        }
    }
}
