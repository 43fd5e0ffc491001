//! The few cryptographic primitives the API uses, all from aws-lc-rs: keyed hashes, random
//! codes and tokens, and sealing of stored responses.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::{constant_time, digest, hmac, rand};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// HMAC-SHA256 of `parts` (length-prefixed, so ("ab","c") ≠ ("a","bc")), hex.
pub fn keyed_hash(key: &[u8], parts: &[&str]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    for part in parts {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part.as_bytes());
    }
    hex::encode(ctx.sign().as_ref())
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, data).as_ref())
}

pub fn equal(a: &str, b: &str) -> bool {
    constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // The system CSPRNG failing is not something to serve through.
    rand::fill(&mut b).expect("system CSPRNG");
    b
}

/// `n` uniformly random decimal digits from the CSPRNG (rejection sampling, no modulo bias).
pub fn random_digits(n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        for b in random_bytes::<16>() {
            if b < 250 && out.len() < n {
                out.push(char::from(b'0' + b % 10));
            }
        }
    }
    out
}

/// A 256-bit random token, URL-safe.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// Seals `plaintext` with AES-256-GCM under a key derived from `secret` for `context`; the
/// context is bound as associated data, so a sealed value cannot be moved to another record.
pub fn seal(secret: &[u8], context: &str, plaintext: &[u8]) -> String {
    let key = sealing_key(secret);
    let nonce = random_bytes::<NONCE_LEN>();
    let mut buf = plaintext.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context.as_bytes()), &mut buf).expect("AES-GCM seal");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&buf);
    URL_SAFE_NO_PAD.encode(out)
}

pub fn open(secret: &[u8], context: &str, sealed: &str) -> Option<Vec<u8>> {
    let raw = URL_SAFE_NO_PAD.decode(sealed).ok()?;
    if raw.len() < NONCE_LEN {
        return None;
    }
    let (nonce, body) = raw.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut buf = body.to_vec();
    let plain = sealing_key(secret).open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf).ok()?;
    Some(plain.to_vec())
}

fn sealing_key(secret: &[u8]) -> LessSafeKey {
    let derived = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), b"client-api/seal/v1");
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, derived.as_ref()).expect("32-byte key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_in_their_context() {
        let sealed = seal(b"k", "IDEM#a", b"{\"x\":1}");
        assert_eq!(open(b"k", "IDEM#a", &sealed).as_deref(), Some(b"{\"x\":1}".as_slice()));
        assert_eq!(open(b"k", "IDEM#b", &sealed), None);
        assert_eq!(open(b"other", "IDEM#a", &sealed), None);
    }

    #[test]
    fn digits_are_digits_and_vary() {
        let a = random_digits(6);
        assert_eq!(a.len(), 6);
        assert!(a.bytes().all(|b| b.is_ascii_digit()));
        assert!((0..20).any(|_| random_digits(6) != a));
    }
}
