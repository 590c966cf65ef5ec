//! The OpenID Connect side of single sign-on (SPEC §11): the authorization
//! code flow with PKCE (S256), `state` and `nonce`, against the provider
//! named by `TESSERA_OIDC_ISSUER`. Discovery, the token exchange and the
//! ID token's checks (signature from the provider's JWKS, issuer, audience,
//! expiry, nonce) are the `openidconnect` crate's; this module keeps what
//! lies between the two redirects and turns every way the flow can fail
//! into a [`FlowError`] a person can read.
//!
//! The provider is looked up on the first sign-in, not at start, so a
//! provider that is down does not keep tessera (and its API tokens) from
//! serving. What it publishes is kept for [`DISCOVERY_TTL`], so keys the
//! provider rotates are picked up.

use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClaimsVerificationError, Client, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields,
    IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::config::OidcSettings;
use crate::sso::Identity;

/// How long the provider's published document and keys are kept.
pub const DISCOVERY_TTL: Duration = Duration::from_secs(15 * 60);

/// How long a person may take at the provider before the sign-in must
/// start over.
const PENDING_SECS: i64 = 10 * 60;

/// The `groups` claim, which the standard claims lack. Providers send a
/// list; a single group as a string is taken too.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupsClaim {
    #[serde(default, deserialize_with = "one_or_many")]
    groups: Vec<String>,
}

impl AdditionalClaims for GroupsClaim {}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
        Other(serde::de::IgnoredAny),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
        OneOrMany::Other(_) => Vec::new(),
    })
}

type IdFields = IdTokenFields<
    GroupsClaim,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

type OidcClient = Client<
    GroupsClaim,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    StandardTokenResponse<IdFields, CoreTokenType>,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What lies between the two redirects, kept in the encrypted session
/// cookie and taken out (so used once) when the provider sends the person
/// back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    started: i64,
}

/// The session cookie's key for [`Pending`].
pub const PENDING_KEY: &str = "oidc_pending";

/// What the provider's redirect back carries.
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Every way a sign-in through the provider can fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    /// Single sign-on is not configured.
    #[error("single sign-on is not configured")]
    NotConfigured,
    /// The provider could not be reached, or answered nonsense.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// The person declined at the provider.
    #[error("cancelled at the provider")]
    Cancelled,
    /// The provider refused for a reason of its own.
    #[error("provider error: {0}")]
    Provider(String),
    /// No sign-in was started here, it was used already or took too long,
    /// or the `state` does not match.
    #[error("unknown or used state")]
    State,
    /// The provider refused to exchange the code (used twice, expired,
    /// not ours).
    #[error("code refused: {0}")]
    CodeRefused(String),
    /// The ID token failed a check; which one is logged.
    #[error("ID token refused: {0}")]
    Token(TokenProblem),
}

/// Which check an ID token failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Missing,
    Expired,
    Issuer,
    Audience,
    Nonce,
    Signature,
    Other,
}

// Named in the log by the variant's name.
impl std::fmt::Display for TokenProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

/// The provider's published document, looked up when first needed.
struct Discovered {
    at: Instant,
    metadata: CoreProviderMetadata,
}

/// Single sign-on for one server: its settings, an HTTP client for the
/// provider, and the provider's document once looked up.
pub struct Sso {
    settings: Option<OidcSettings>,
    http: openidconnect::reqwest::Client,
    discovered: Mutex<Option<Discovered>>,
}

impl Sso {
    pub fn new(settings: Option<OidcSettings>) -> Self {
        let http = openidconnect::reqwest::Client::builder()
            // The provider's answers are read as they are: a redirect from
            // its token endpoint could lead the code elsewhere.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            settings,
            http,
            discovered: Mutex::new(None),
        }
    }

    pub fn settings(&self) -> Option<&OidcSettings> {
        self.settings.as_ref()
    }

    fn require(&self) -> Result<&OidcSettings, FlowError> {
        self.settings.as_ref().ok_or(FlowError::NotConfigured)
    }

    /// The provider's document: kept for [`DISCOVERY_TTL`], else fetched.
    /// A failed lookup is not kept, so the next sign-in tries again.
    async fn metadata(&self, fresh: bool) -> Result<CoreProviderMetadata, FlowError> {
        let settings = self.require()?;
        let mut kept = self.discovered.lock().await;
        if let Some(d) = kept
            .as_ref()
            .filter(|d| !fresh && d.at.elapsed() < DISCOVERY_TTL)
        {
            return Ok(d.metadata.clone());
        }
        let issuer = IssuerUrl::new(settings.issuer.clone())
            .map_err(|e| FlowError::Unavailable(format!("TESSERA_OIDC_ISSUER: {e}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| FlowError::Unavailable(error_chain(&e)))?;
        *kept = Some(Discovered {
            at: Instant::now(),
            metadata: metadata.clone(),
        });
        Ok(metadata)
    }

    async fn client(&self, fresh: bool) -> Result<OidcClient, FlowError> {
        let settings = self.require()?;
        let metadata = self.metadata(fresh).await?;
        let redirect = RedirectUrl::new(settings.redirect_url.clone())
            .map_err(|e| FlowError::Unavailable(format!("TESSERA_PUBLIC_URL: {e}")))?;
        Ok(OidcClient::from_provider_metadata(
            metadata,
            ClientId::new(settings.client_id.clone()),
            settings.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// Starts a sign-in: where to send the person, and what to keep until
    /// they come back.
    pub async fn start(&self, now: i64) -> Result<(String, Pending), FlowError> {
        let client = self.client(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        let pending = Pending {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            started: now,
        };
        Ok((url.to_string(), pending))
    }

    /// Ends a sign-in: checks the redirect back against what was kept,
    /// exchanges the code and verifies the ID token.
    pub async fn finish(
        &self,
        pending: Option<Pending>,
        callback: Callback,
        now: i64,
    ) -> Result<Identity, FlowError> {
        self.require()?;
        if let Some(error) = callback.error {
            return Err(if error == "access_denied" {
                FlowError::Cancelled
            } else {
                FlowError::Provider(match callback.error_description {
                    Some(d) => format!("{error}: {d}"),
                    None => error,
                })
            });
        }
        let pending = pending
            .filter(|p| now - p.started <= PENDING_SECS)
            .ok_or(FlowError::State)?;
        let state_matches = callback.state.as_deref().is_some_and(|s| {
            subtle::ConstantTimeEq::ct_eq(s.as_bytes(), pending.state.as_bytes()).into()
        });
        if !state_matches {
            return Err(FlowError::State);
        }
        let code = callback.code.ok_or(FlowError::State)?;
        let client = self.client(false).await?;
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| FlowError::Unavailable(format!("no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => FlowError::CodeRefused(r.to_string()),
                other => FlowError::Unavailable(error_chain(&other)),
            })?;
        let id_token = response
            .id_token()
            .ok_or(FlowError::Token(TokenProblem::Missing))?;
        let nonce = Nonce::new(pending.nonce);
        let claims = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(claims) => claims.clone(),
            // Keys the provider rotated since the lookup: look again once.
            Err(ClaimsVerificationError::SignatureVerification(_)) => {
                let client = self.client(true).await?;
                id_token
                    .claims(&client.id_token_verifier(), &nonce)
                    .map_err(|e| FlowError::Token(problem(&e)))?
                    .clone()
            }
            Err(e) => return Err(FlowError::Token(problem(&e))),
        };
        Ok(Identity {
            issuer: claims.issuer().to_string(),
            subject: claims.subject().to_string(),
            preferred_username: claims.preferred_username().map(|u| u.to_string()),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string()),
            email: claims
                .email()
                .filter(|_| claims.email_verified() == Some(true))
                .map(|e| e.to_string()),
            groups: claims.additional_claims().groups.clone(),
        })
    }
}

fn problem(e: &ClaimsVerificationError) -> TokenProblem {
    match e {
        ClaimsVerificationError::Expired(_) => TokenProblem::Expired,
        ClaimsVerificationError::InvalidIssuer(_) => TokenProblem::Issuer,
        ClaimsVerificationError::InvalidAudience(_) => TokenProblem::Audience,
        ClaimsVerificationError::InvalidNonce(_) => TokenProblem::Nonce,
        ClaimsVerificationError::SignatureVerification(_) => TokenProblem::Signature,
        _ => TokenProblem::Other,
    }
}

/// An error with its causes, for the log (the page says less).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
