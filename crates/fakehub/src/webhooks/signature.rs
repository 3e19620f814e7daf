//! `X-Hub-Signature-256`: HMAC-SHA256 of the exact body bytes, hex, prefixed `sha256=`
//! (and `X-Hub-Signature`, the same with SHA-1, prefixed `sha1=`).

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// `X-Hub-Signature`: the legacy HMAC-SHA1 header GitHub still sends beside the SHA-256 one.
pub fn sign_sha1(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
}

pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Constant-time check of a `sha256=…` header value against a secret.
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_documented_example() {
        // The example from GitHub's "Validating webhook deliveries" guide.
        let sig = sign("It's a Secret to Everybody", b"Hello, World!");
        assert_eq!(
            sig,
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        assert!(verify("It's a Secret to Everybody", b"Hello, World!", &sig));
        assert!(!verify("wrong", b"Hello, World!", &sig));
        assert!(!verify(
            "It's a Secret to Everybody",
            b"Hello, World!",
            "sha256=zz"
        ));
    }
}
