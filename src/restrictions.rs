//! Per-token restrictions (SPEC §8): the addresses a token may be used
//! from and how often. Pure: parsed once at the edge (JSON, form), stored as
//! text, read back on every use. Enforcement is `auth::restrict`.

use std::net::IpAddr;

use ipnet::IpNet;

/// At most this many addresses or ranges on one token.
pub const MAX_ALLOWED_IPS: usize = 20;
/// The highest rate limit a token may carry, per minute.
pub const MAX_RATE_PER_MINUTE: i64 = 100_000;

/// An address or CIDR range; a bare address is a network of one. The
/// host bits of a range are dropped (`10.1.2.3/8` is `10.0.0.0/8`).
pub fn parse_network(item: &str) -> Option<IpNet> {
    item.parse::<IpNet>()
        .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
        .ok()
        .map(|net| net.trunc())
}

/// The networks a token may be used from; empty: anywhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedIps(Vec<IpNet>);

impl AllowedIps {
    /// The list a user gives, each an address or a CIDR range; at most
    /// [`MAX_ALLOWED_IPS`], repeats dropped.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, String> {
        let mut nets: Vec<IpNet> = Vec::new();
        for item in items {
            let item = item.as_ref().trim();
            let net = parse_network(item).ok_or_else(|| {
                format!("{item:?} is neither an IPv4/IPv6 address nor a CIDR range")
            })?;
            if !nets.contains(&net) {
                nets.push(net);
            }
        }
        if nets.len() > MAX_ALLOWED_IPS {
            return Err(format!(
                "at most {MAX_ALLOWED_IPS} addresses or ranges per token"
            ));
        }
        Ok(Self(nets))
    }

    /// A form's text: one per line, or separated by commas.
    pub fn parse_text(text: &str) -> Result<Self, String> {
        Self::parse(&Self::split_text(text))
    }

    /// The items of a form's text, for [`AllowedIps::parse`].
    pub fn split_text(text: &str) -> Vec<&str> {
        text.split([',', '\n', '\r'])
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .collect()
    }

    /// The stored form, separated by spaces; anything unreadable is
    /// skipped, which can only narrow what the token may do: a list that
    /// was not empty never reads back as empty (anywhere).
    pub fn from_stored(s: &str) -> Self {
        Self(s.split_whitespace().filter_map(parse_network).collect())
    }

    pub fn to_stored(&self) -> String {
        self.names().join(" ")
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(show).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: &IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// Whether a token stored with `stored` may be used from `ip` (unknown
    /// when the connection has no address: refused, as from elsewhere).
    pub fn admits(stored: &str, ip: Option<&str>) -> bool {
        if stored.is_empty() {
            return true;
        }
        let Some(ip) = ip.and_then(|ip| ip.parse::<IpAddr>().ok()) else {
            return false;
        };
        stored
            .split_whitespace()
            .filter_map(parse_network)
            .any(|net| net.contains(&ip))
    }
}

/// A network of one is written as its address.
fn show(net: &IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// A token's rate limit per minute: 1-100000, or none.
pub fn parse_rate_limit(n: Option<i64>) -> Result<Option<i32>, String> {
    match n {
        None => Ok(None),
        Some(n) if (1..=MAX_RATE_PER_MINUTE).contains(&n) => Ok(Some(n as i32)),
        Some(_) => Err(format!(
            "a rate limit is 1-{MAX_RATE_PER_MINUTE} requests per minute, or null for none"
        )),
    }
}

/// One entry of an IP allowlist as the OpenAPI document describes it. The
/// pattern is IPv4's, so that generated requests are all good ones; IPv6
/// addresses and ranges are accepted as well.
pub struct AllowedIpSchema;

impl utoipa::PartialSchema for AllowedIpSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        const OCTET: &str = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(format!(
                "^({OCTET}\\.){{3}}{OCTET}(/([0-9]|[12][0-9]|3[0-2]))?$"
            )))
            .description(Some(
                "An IPv4 or IPv6 address, or a CIDR range of either (e.g. 203.0.113.0/24, 2001:db8::/32).",
            ))
            .into()
    }
}

impl utoipa::ToSchema for AllowedIpSchema {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlists() {
        let list =
            AllowedIps::parse(&["10.1.2.3/8", "192.0.2.7", "2001:db8::/32", "192.0.2.7"]).unwrap();
        assert_eq!(list.to_stored(), "10.0.0.0/8 192.0.2.7 2001:db8::/32");
        assert_eq!(AllowedIps::from_stored(&list.to_stored()), list);
        for (ip, ok) in [
            ("10.9.9.9", true),
            ("192.0.2.8", false),
            ("2001:db8::1", true),
        ] {
            assert_eq!(AllowedIps::admits(&list.to_stored(), Some(ip)), ok, "{ip}");
            assert_eq!(list.contains(&ip.parse().unwrap()), ok, "{ip}");
        }
        assert!(AllowedIps::admits("", None));
        assert!(!AllowedIps::admits("10.0.0.0/8", None));
        assert!(AllowedIps::parse(&["10.0.0.0/33"]).is_err());
        assert!(AllowedIps::parse(&["example.org"]).is_err());
        let many: Vec<String> = (0..21).map(|i| format!("10.0.0.{i}")).collect();
        assert!(AllowedIps::parse(&many).is_err());
        assert!(AllowedIps::parse(&many[..20]).is_ok());
        assert_eq!(
            AllowedIps::parse_text("10.0.0.1\r\n 10.0.0.2, ::1\n")
                .unwrap()
                .names(),
            ["10.0.0.1", "10.0.0.2", "::1"]
        );
    }

    #[test]
    fn rate_limits() {
        assert_eq!(parse_rate_limit(None), Ok(None));
        assert_eq!(parse_rate_limit(Some(1)), Ok(Some(1)));
        assert_eq!(parse_rate_limit(Some(100_000)), Ok(Some(100_000)));
        assert!(parse_rate_limit(Some(0)).is_err());
        assert!(parse_rate_limit(Some(100_001)).is_err());
        assert!(parse_rate_limit(Some(-5)).is_err());
    }
}
