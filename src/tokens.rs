//! Token format, checksum, keyed hash and scopes. Pure functions only: no I/O.
//!
//! A token is `tsr_` + 32 random base62 characters + 6 base62 characters of
//! the CRC32 of everything before them. The checksum lets us turn away typos
//! and garbage without touching the database; the secret part gives 190 bits
//! of entropy. Only `HMAC-SHA256(server key, token)` is ever stored.

use std::fmt;

use hmac::{Hmac, Mac};
use rand::{Rng, rngs::OsRng};
use sha2::Sha256;

pub const TOKEN_PREFIX: &str = "tsr_";
const RANDOM_LEN: usize = 32;
const CHECKSUM_LEN: usize = 6;
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN;
/// How much of a token is shown in lists: `tsr_` + 8 characters.
pub const DISPLAY_PREFIX_LEN: usize = 12;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` characters of base62 drawn from the operating system's CSPRNG.
pub fn random_base62(len: usize) -> String {
    random_chars(BASE62, len)
}

/// `len` characters of `alphabet`, uniformly, from the OS's CSPRNG.
pub fn random_chars(alphabet: &[u8], len: usize) -> String {
    let mut rng = OsRng;
    (0..len)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

fn checksum(body: &str) -> String {
    let mut n = crc32fast::hash(body.as_bytes());
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    // 62^6 > 2^32, so nothing is left over.
    String::from_utf8(out.to_vec()).expect("base62 is ASCII")
}

/// The server's secret key: 32 bytes, written as 64 hex characters.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill(&mut bytes);
        Self(bytes)
    }

    pub fn from_hex(hex_str: &str) -> Result<Self, String> {
        let bytes = hex::decode(hex_str.trim())
            .map_err(|_| "must be 64 hexadecimal characters".to_string())?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "must be 64 hexadecimal characters (32 bytes)".to_string())?;
        Ok(Self(bytes))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// HMAC-SHA256 of `data` under this key.
    pub fn mac(&self, data: &[u8]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// A key for another purpose (cookie encryption), derived so that the one
    /// configured secret is all an operator has to keep and rotate.
    pub fn derive(&self, purpose: &str) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.mac(format!("{purpose}/1").as_bytes()));
        out[32..].copy_from_slice(&self.mac(format!("{purpose}/2").as_bytes()));
        out
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// A token in clear. It exists only between its creation and the response
/// that shows it, or between parsing a request and hashing it.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainToken(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenFormatError {
    #[error("a token is {TOKEN_LEN} characters long")]
    Length,
    #[error("a token starts with {TOKEN_PREFIX}")]
    Prefix,
    #[error("a token holds only base62 characters")]
    Alphabet,
    #[error("the token's checksum does not match")]
    Checksum,
}

impl PlainToken {
    pub fn generate() -> Self {
        let mut body = String::with_capacity(TOKEN_LEN);
        body.push_str(TOKEN_PREFIX);
        body.push_str(&random_base62(RANDOM_LEN));
        let sum = checksum(&body);
        body.push_str(&sum);
        Self(body)
    }

    pub fn parse(s: &str) -> Result<Self, TokenFormatError> {
        if s.len() != TOKEN_LEN {
            return Err(TokenFormatError::Length);
        }
        if !s.starts_with(TOKEN_PREFIX) {
            return Err(TokenFormatError::Prefix);
        }
        let rest = &s.as_bytes()[TOKEN_PREFIX.len()..];
        if !rest.iter().all(u8::is_ascii_alphanumeric) {
            return Err(TokenFormatError::Alphabet);
        }
        let (body, sum) = s.split_at(TOKEN_LEN - CHECKSUM_LEN);
        if checksum(body) != sum {
            return Err(TokenFormatError::Checksum);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_exposed(self) -> String {
        self.0
    }

    pub fn prefix(&self) -> &str {
        &self.0[..DISPLAY_PREFIX_LEN]
    }

    pub fn hash(&self, key: &SecretKey) -> TokenHash {
        TokenHash(key.mac(self.0.as_bytes()))
    }
}

impl fmt::Debug for PlainToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlainToken({}…)", self.prefix())
    }
}

/// What the database holds in place of a token (or a session secret).
#[derive(Clone, PartialEq, Eq)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(<redacted>)")
    }
}

/// What a token, or a role, allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    ProfileRead,
    ProfileWrite,
    TokensRead,
    TokensWrite,
    AdminRead,
    AdminWrite,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Scope::ProfileRead,
        Scope::ProfileWrite,
        Scope::TokensRead,
        Scope::TokensWrite,
        Scope::AdminRead,
        Scope::AdminWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ProfileRead => "profile:read",
            Scope::ProfileWrite => "profile:write",
            Scope::TokensRead => "tokens:read",
            Scope::TokensWrite => "tokens:write",
            Scope::AdminRead => "admin:read",
            Scope::AdminWrite => "admin:write",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    pub fn is_admin(self) -> bool {
        matches!(self, Scope::AdminRead | Scope::AdminWrite)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The OpenAPI document lists the scopes by their names, from [`Scope::ALL`].
impl utoipa::PartialSchema for Scope {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Scope::ALL.map(Scope::as_str)))
            .description(Some("What a token may do."))
            .into()
    }
}

impl utoipa::ToSchema for Scope {}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes, stored as their names separated by spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScopeSet(u8);

impl ScopeSet {
    pub fn empty() -> Self {
        Self(0)
    }

    pub fn all() -> Self {
        Scope::ALL.into_iter().collect()
    }

    /// What a role allows now; a token can never do more than its owner.
    pub fn for_role(role: Role) -> Self {
        match role {
            Role::Admin => Self::all(),
            Role::User => Scope::ALL.into_iter().filter(|s| !s.is_admin()).collect(),
        }
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn is_subset(self, other: ScopeSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn intersect(self, other: ScopeSet) -> Self {
        Self(self.0 & other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Scope::as_str).collect()
    }

    /// The stored form; unknown names (from a newer version) are ignored.
    pub fn from_stored(s: &str) -> Self {
        s.split_whitespace().filter_map(Scope::parse).collect()
    }

    pub fn to_stored(self) -> String {
        self.names().join(" ")
    }

    /// Parses names given by a user: every one must be known, and at least one given.
    pub fn parse_list<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        let mut set = Self::empty();
        for name in names {
            let name = name.as_ref();
            let scope = Scope::parse(name).ok_or_else(|| {
                format!(
                    "unknown scope {name:?}; known scopes: {}",
                    Self::all().names().join(", ")
                )
            })?;
            set.0 |= scope.bit();
        }
        if set.is_empty() {
            return Err("choose at least one scope".into());
        }
        Ok(set)
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self(iter.into_iter().fold(0, |acc, s| acc | s.bit()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A token's label: 1-100 characters of any Unicode, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label(String);

impl Label {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("a label is required".into());
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(format!("a label is at most {} characters", Self::MAX_CHARS));
        }
        if s.chars().any(|c| c.is_control()) {
            return Err("a label cannot contain control characters".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// How long a new token lives: `None` is never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime(Option<i64>);

impl Lifetime {
    pub const MAX_HOURS: i64 = 87_600;

    /// `hours`: 0 or absent is never. `max_days` is the server's limit, if any.
    pub fn parse(hours: Option<i64>, max_days: Option<u32>) -> Result<Self, String> {
        let hours = hours.filter(|h| *h != 0);
        match (hours, max_days) {
            (Some(h), _) if !(1..=Self::MAX_HOURS).contains(&h) => Err(format!(
                "expires_in_hours must be between 0 (never) and {}",
                Self::MAX_HOURS
            )),
            (None, Some(days)) => Err(format!(
                "tokens on this server must expire within {days} days; \"never\" is not allowed"
            )),
            (Some(h), Some(days)) if h > i64::from(days) * 24 => Err(format!(
                "tokens on this server must expire within {days} days ({} hours)",
                i64::from(days) * 24
            )),
            (h, _) => Ok(Self(h)),
        }
    }

    pub fn hours(self) -> Option<i64> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> SecretKey {
        SecretKey::from_hex(&"ab".repeat(32)).unwrap()
    }

    #[test]
    fn generated_tokens_are_well_formed() {
        let token = PlainToken::generate();
        assert_eq!(token.expose().len(), 42);
        assert!(token.expose().starts_with("tsr_"));
        assert_eq!(token.prefix().len(), 12);
        assert_eq!(PlainToken::parse(token.expose()), Ok(token));
    }

    #[test]
    fn parse_rejects_each_kind_of_bad_token() {
        let good = PlainToken::generate().into_exposed();
        assert_eq!(PlainToken::parse(""), Err(TokenFormatError::Length));
        assert_eq!(
            PlainToken::parse(&good[..41]),
            Err(TokenFormatError::Length)
        );
        assert_eq!(
            PlainToken::parse(&format!("abc_{}", &good[4..])),
            Err(TokenFormatError::Prefix)
        );
        assert_eq!(
            PlainToken::parse(&format!("{}-{}", &good[..10], &good[11..])),
            Err(TokenFormatError::Alphabet)
        );
        // Multi-byte characters must not panic on slicing.
        let unicode = format!("tsr_{}", "é".repeat(19));
        assert_eq!(unicode.len(), 42);
        assert_eq!(PlainToken::parse(&unicode), Err(TokenFormatError::Alphabet));
    }

    #[test]
    fn hash_depends_on_the_key_and_is_redacted() {
        let token = PlainToken::generate();
        let other = SecretKey::from_hex(&"cd".repeat(32)).unwrap();
        assert_ne!(token.hash(&key()), token.hash(&other));
        assert_eq!(token.hash(&key()), token.hash(&key()));
        assert_eq!(format!("{:?}", token.hash(&key())), "TokenHash(<redacted>)");
        assert!(!format!("{token:?}").contains(&token.expose()[12..]));
        assert!(!format!("{:?}", key()).contains("abab"));
    }

    #[test]
    fn secret_key_requires_64_hex_chars() {
        assert!(SecretKey::from_hex("abcd").is_err());
        assert!(SecretKey::from_hex(&"zz".repeat(32)).is_err());
        let k = SecretKey::generate();
        assert_eq!(
            SecretKey::from_hex(&k.to_hex()).unwrap().to_hex(),
            k.to_hex()
        );
    }

    #[test]
    fn scopes_round_trip_and_follow_roles() {
        let set = ScopeSet::parse_list(&["tokens:read", "profile:read"]).unwrap();
        assert_eq!(set.names(), vec!["profile:read", "tokens:read"]);
        assert_eq!(ScopeSet::from_stored(&set.to_stored()), set);
        assert!(ScopeSet::parse_list::<&str>(&[]).is_err());
        assert!(ScopeSet::parse_list(&["tokens:delete"]).is_err());
        let user = ScopeSet::for_role(Role::User);
        assert!(!user.contains(Scope::AdminRead));
        assert!(user.contains(Scope::TokensWrite));
        assert!(set.is_subset(user));
        assert!(!ScopeSet::all().is_subset(user));
        assert_eq!(ScopeSet::all().intersect(user), user);
    }

    #[test]
    fn labels_and_lifetimes_are_checked() {
        assert!(Label::parse("  ").is_err());
        assert!(Label::parse(&"x".repeat(101)).is_err());
        assert_eq!(
            Label::parse(&"é".repeat(100))
                .unwrap()
                .into_inner()
                .chars()
                .count(),
            100
        );
        assert_eq!(Lifetime::parse(None, None).unwrap().hours(), None);
        assert_eq!(Lifetime::parse(Some(0), None).unwrap().hours(), None);
        assert_eq!(Lifetime::parse(Some(24), None).unwrap().hours(), Some(24));
        assert!(Lifetime::parse(Some(-1), None).is_err());
        assert!(Lifetime::parse(Some(87_601), None).is_err());
        assert!(Lifetime::parse(None, Some(30)).is_err());
        assert!(Lifetime::parse(Some(24 * 31), Some(30)).is_err());
        assert!(Lifetime::parse(Some(24 * 30), Some(30)).is_ok());
    }

    proptest! {
        #[test]
        fn every_single_character_change_fails(pos in 0usize..TOKEN_LEN, c in proptest::char::range('!', '~')) {
            let token = PlainToken::generate().into_exposed();
            let mut bytes = token.clone().into_bytes();
            prop_assume!(bytes[pos] != c as u8);
            bytes[pos] = c as u8;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(PlainToken::parse(&changed).is_err());
        }

        #[test]
        fn generated_tokens_are_distinct_and_valid(_seed in 0u8..=255) {
            let a = PlainToken::generate();
            let b = PlainToken::generate();
            prop_assert_ne!(&a, &b);
            prop_assert!(PlainToken::parse(a.expose()).is_ok());
            prop_assert!(a.expose()[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
        }

        #[test]
        fn parse_never_panics(s in ".{0,60}") {
            let _ = PlainToken::parse(&s);
        }
    }
}
