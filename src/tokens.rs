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

fn checksum(body: &str) -> [u8; CHECKSUM_LEN] {
    let mut n = crc32fast::hash(body.as_bytes());
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    // 62^6 > 2^32, so nothing is left over.
    out
}

/// The server's secret key: 32 bytes, written as 64 hex characters.
#[derive(Clone)]
pub struct SecretKey {
    bytes: [u8; 32],
    /// HMAC-SHA256 with the key already absorbed: every token check hashes
    /// under it, and starts from a copy of this rather than from the key.
    keyed: Hmac<Sha256>,
}

impl SecretKey {
    fn new(bytes: [u8; 32]) -> Self {
        let keyed = Hmac::<Sha256>::new_from_slice(&bytes).expect("HMAC takes any key length");
        Self { bytes, keyed }
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill(&mut bytes);
        Self::new(bytes)
    }

    pub fn from_hex(hex_str: &str) -> Result<Self, String> {
        let bytes = hex::decode(hex_str.trim())
            .map_err(|_| "must be 64 hexadecimal characters".to_string())?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "must be 64 hexadecimal characters (32 bytes)".to_string())?;
        Ok(Self::new(bytes))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.bytes)
    }

    /// HMAC-SHA256 of `data` under this key.
    pub fn mac(&self, data: &[u8]) -> [u8; 32] {
        let mut mac = self.keyed.clone();
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
        body.push_str(std::str::from_utf8(&sum).expect("base62 is ASCII"));
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
        if checksum(body) != sum.as_bytes() {
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

/// A built-in scope: what a token, or a role, allows within tessera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    ProfileRead,
    ProfileWrite,
    TokensRead,
    TokensWrite,
    AdminRead,
    AdminWrite,
    Introspect,
    MetricsRead,
}

impl Scope {
    pub const ALL: [Scope; 8] = [
        Scope::ProfileRead,
        Scope::ProfileWrite,
        Scope::TokensRead,
        Scope::TokensWrite,
        Scope::AdminRead,
        Scope::AdminWrite,
        Scope::Introspect,
        Scope::MetricsRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ProfileRead => "profile:read",
            Scope::ProfileWrite => "profile:write",
            Scope::TokensRead => "tokens:read",
            Scope::TokensWrite => "tokens:write",
            Scope::AdminRead => "admin:read",
            Scope::AdminWrite => "admin:write",
            Scope::Introspect => "introspect",
            Scope::MetricsRead => "metrics:read",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// Only admins may grant these, and only admins' tokens keep them.
    pub fn admin_only(self) -> bool {
        matches!(
            self,
            Scope::AdminRead | Scope::AdminWrite | Scope::Introspect | Scope::MetricsRead
        )
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The OpenAPI document lists the built-in scopes by their names. An
/// application scope an admin created (`service:action`) is accepted too,
/// but only once it exists, so the document, which generated requests are
/// drawn from, names only the scopes every server has.
impl utoipa::PartialSchema for Scope {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Scope::ALL.map(Scope::as_str)))
            .description(Some(
                "A built-in scope, or the name of an application scope an admin created \
                 (`service:action`, see GET /admin/scopes.json).",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Scope {}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `name` has the shape of an application scope, `service:action`
/// (`^[a-z][a-z0-9_-]{0,31}:[a-z][a-z0-9_.-]{0,31}$`).
pub fn is_app_scope_name(name: &str) -> bool {
    fn part(s: &str, extra: &[u8]) -> bool {
        let b = s.as_bytes();
        (1..=32).contains(&b.len())
            && b[0].is_ascii_lowercase()
            && b[1..]
                .iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(c))
    }
    match name.split_once(':') {
        Some((service, action)) => part(service, b"_-") && part(action, b"_.-"),
        None => false,
    }
}

/// A set of scopes: the built-in ones as bits, application scopes by name
/// (sorted, no repeats). Stored as the names separated by spaces.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeSet {
    builtin: u8,
    app: Vec<Box<str>>,
}

impl ScopeSet {
    pub fn empty() -> Self {
        Self::default()
    }

    /// Every built-in scope.
    pub fn all() -> Self {
        Scope::ALL.into_iter().collect()
    }

    /// The built-in scopes a role allows now; a token can never do more
    /// than its owner. Application scopes are capped by their own
    /// `grantable_by` (see `crate::scopes`).
    pub fn for_role(role: Role) -> Self {
        match role {
            Role::Admin => Self::all(),
            Role::User => Scope::ALL.into_iter().filter(|s| !s.admin_only()).collect(),
        }
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.builtin & scope.bit() != 0
    }

    /// Whether the set holds the scope of this name, built-in or not.
    pub fn contains_name(&self, name: &str) -> bool {
        match Scope::parse(name) {
            Some(scope) => self.contains(scope),
            None => self.app.binary_search_by(|a| (**a).cmp(name)).is_ok(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.builtin == 0 && self.app.is_empty()
    }

    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.builtin & !other.builtin == 0
            && self.app.iter().all(|a| other.app.binary_search(a).is_ok())
    }

    /// The built-in scopes of `self` that `other` also holds, and its
    /// application scopes that `keep` says yes to.
    pub fn restrict(&self, other: &ScopeSet, keep: impl Fn(&str) -> bool) -> Self {
        Self {
            builtin: self.builtin & other.builtin,
            app: self.app.iter().filter(|a| keep(a)).cloned().collect(),
        }
    }

    pub fn intersect(&self, other: &ScopeSet) -> Self {
        self.restrict(other, |a| other.contains_name(a))
    }

    pub fn builtin(&self) -> impl Iterator<Item = Scope> + '_ {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// The application scopes, sorted.
    pub fn app(&self) -> &[Box<str>] {
        &self.app
    }

    /// Every name: built-in ones first, in their fixed order, then the
    /// application scopes.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.builtin().map(Scope::as_str).collect();
        names.extend(self.app.iter().map(Box::as_ref));
        names
    }

    /// Adds a name: built-in, or of an application scope's shape; false
    /// (and nothing added) for anything else.
    pub fn insert_name(&mut self, name: &str) -> bool {
        if let Some(scope) = Scope::parse(name) {
            self.builtin |= scope.bit();
        } else if is_app_scope_name(name) {
            if let Err(at) = self.app.binary_search_by(|a| (**a).cmp(name)) {
                self.app.insert(at, name.into());
            }
        } else {
            return false;
        }
        true
    }

    /// Takes a name out; whether it was there.
    pub fn remove_name(&mut self, name: &str) -> bool {
        if let Some(scope) = Scope::parse(name) {
            let held = self.contains(scope);
            self.builtin &= !scope.bit();
            held
        } else if let Ok(at) = self.app.binary_search_by(|a| (**a).cmp(name)) {
            self.app.remove(at);
            true
        } else {
            false
        }
    }

    /// The stored form; names of neither shape are ignored.
    pub fn from_stored(s: &str) -> Self {
        let mut set = Self::empty();
        for name in s.split_whitespace() {
            set.insert_name(name);
        }
        set
    }

    pub fn to_stored(&self) -> String {
        self.names().join(" ")
    }

    /// Parses names given by a user: built-in names and names of the
    /// application scope shape (whether such a scope exists is for the
    /// caller to check against the database); at least one.
    pub fn parse_list<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        let mut set = Self::empty();
        for name in names {
            let name = name.as_ref();
            if !set.insert_name(name) {
                return Err(format!(
                    "unknown scope {name:?}; built-in scopes: {}; application scopes look like service:action",
                    Self::all().names().join(", ")
                ));
            }
        }
        if set.is_empty() {
            return Err("choose at least one scope".into());
        }
        Ok(set)
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self {
            builtin: iter.into_iter().fold(0, |acc, s| acc | s.bit()),
            app: Vec::new(),
        }
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
        assert!(ScopeSet::parse_list(&["tokens"]).is_err());
        assert!(ScopeSet::parse_list(&["Billing:read"]).is_err());
        let user = ScopeSet::for_role(Role::User);
        for admin_only in ["admin:read", "admin:write", "introspect", "metrics:read"] {
            assert!(!user.contains_name(admin_only), "{admin_only}");
        }
        assert!(user.contains(Scope::TokensWrite));
        assert!(user.contains(Scope::ProfileWrite));
        assert!(set.is_subset(&user));
        assert!(!ScopeSet::all().is_subset(&user));
        assert_eq!(ScopeSet::all().intersect(&user), user);
    }

    #[test]
    fn application_scopes_sit_beside_built_in_ones() {
        let mut set = ScopeSet::parse_list(&[
            "billing:write",
            "profile:read",
            "billing:read",
            "billing:read",
        ])
        .unwrap();
        assert_eq!(
            set.names(),
            vec!["profile:read", "billing:read", "billing:write"]
        );
        assert_eq!(ScopeSet::from_stored(&set.to_stored()), set);
        assert!(set.contains_name("billing:read"));
        assert!(!set.contains_name("billing:admin"));
        let narrow = ScopeSet::parse_list(&["billing:read"]).unwrap();
        assert!(narrow.is_subset(&set));
        assert!(!set.is_subset(&narrow));
        assert_eq!(set.intersect(&narrow), narrow);
        // The role cap keeps built-in scopes the role allows and the
        // application scopes the predicate allows.
        let capped = set.restrict(&ScopeSet::for_role(Role::User), |a| a == "billing:write");
        assert_eq!(capped.names(), vec!["profile:read", "billing:write"]);
        assert!(set.remove_name("billing:read"));
        assert!(!set.remove_name("billing:read"));
        assert_eq!(set.to_stored(), "profile:read billing:write");
    }

    #[test]
    fn application_scope_names_follow_the_pattern() {
        for good in [
            "billing:read",
            "a:b",
            "my-svc_2:files.read-all",
            &format!("{}:{}", "a".repeat(32), "b".repeat(32)),
        ] {
            assert!(is_app_scope_name(good), "{good}");
        }
        for bad in [
            "billing",
            ":read",
            "billing:",
            "2fa:read",
            "billing:2read",
            "bill.ing:read",
            "Billing:read",
            "billing:read:all",
            "billing read",
            &format!("{}:b", "a".repeat(33)),
            &format!("a:{}", "b".repeat(33)),
        ] {
            assert!(!is_app_scope_name(bad), "{bad}");
        }
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
