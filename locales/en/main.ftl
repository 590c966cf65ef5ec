## Every page: the navigation

nav-skip = Skip to content
nav-main = Main
nav-preferences = Account Preferences
nav-admin = Admin
nav-signed-in-as = Signed in as { $name }
nav-sign-out = Sign out

## Page titles

title-preferences = Account Preferences
title-delete-token = Delete token
title-sign-in = Sign in
title-sign-out = Sign out
title-token = Token
title-token-named = Token “{ $label }”
title-edit-token = Edit token
title-delete-all = Delete all tokens
title-change-password = Change password
title-mail = Mail
title-users = Users
title-audit = Audit log
title-scopes = Scopes
title-all-tokens = All tokens

## Account Preferences: the profile page and its settings

pref-title = Account Preferences
pref-leaked = Leaked tokens were deleted.
pref-account = Account
pref-username = Username
pref-display-name = Display name
pref-role = Role
pref-account-id = Account id
pref-email = Email
pref-none = none
pref-time-zone = Time zone
pref-tokens = API tokens
pref-tokens-intro = Tokens let programs call tessera's API as you.
pref-tokens-used = { $held } of { $cap } tokens
pref-used = used.
pref-find = Find tokens
pref-search = Search labels
pref-status = Status
pref-sort = Sort by
pref-order = Order
pref-show = Show
pref-clear = Clear
pref-delete-all-confirm = Delete all { $tokens }? Every program using one of them will stop working at once.
pref-delete-all = Delete all tokens…
set-details = Details
set-display-name-help = Shown instead of your username. Blank: your username.
set-email = Email address
set-verified = verified
set-pending = waits for you to follow the link we sent to it.
set-verification-off = Verification is disabled: { $reason }
set-email-help = A new address is used once you follow the link we mail to it (valid 24 hours).
set-save-details = Save details
set-password = Password
set-sso = You sign in through single sign-on, so this account has no password of its own to change: change it at your identity provider.
set-sessions = Sessions
set-sessions-intro = Browsers signed in to your account. Sign out any you do not recognise.
set-sign-out-others = Sign out all other sessions
set-browser = Browser
set-ip = IP address
set-signed-in = Signed in
set-last-seen = Last seen
set-unknown-browser = Unknown browser
set-this-session = this session
set-unknown = unknown
set-never = Never
set-sign-out = Sign out
set-session-n = session { $id }
set-preferences = Preferences
set-time-zone-help = An IANA name such as Europe/Amsterdam. Every time on these pages is shown in it.
set-language = Language
set-language-help = Until you choose, your browser's language is used.
set-email-me = Email me when
set-notices-off = Notifications are disabled: { $reason }
set-save-preferences = Save preferences
pw-title = Change password
pw-choose = Choose a new password
pw-forced = An admin reset your password. Enter the one-time password you were given as the current password, then choose your own.
pw-current = Current password
pw-current-help = The password you signed in with.
pw-new = New password
pw-new-help = At least 12 characters, and not your username.
pw-again = New password again
pw-again-help = Type it once more, to be sure.
pw-signs-out = Changing it signs out every other session of your account.
del-title = Delete token “{ $label }”?
del-body-start = The token
del-body-end = will stop working at once, for every program that uses it. This cannot be undone.
del-button = Delete token
cancel = Cancel

## Lists of tokens

list-created = Created
list-last-used = Last used
list-expires = Expires
list-label = Label
list-default = Default
list-ascending = Ascending
list-descending = Descending
list-any = Any
list-active = Active
list-deactivated = Deactivated
list-expired = Expired
list-tokens = { $n ->
    [one] 1 token
   *[other] { $n } tokens
}

## What a notice mail is about, as a choice on the Preferences form

notify-verify_email = Confirm a new email address
notify-token_created = A token is created on my account
notify-expiry_7d = A token will expire in 7 days
notify-expiry_1d = A token will expire in 1 day
notify-expired = A token has expired
notify-token_leaked = A token is reported leaked

## Signing in and out, and error pages

err-status = Error { $status }
err-back-sign-in = Back to sign in
err-back-preferences = Back to Account Preferences
err-not-found = Page not found
err-forbidden = Not allowed
err-too-many = Too many requests
err-unavailable = Temporarily unavailable
err-client = That did not work
err-server = Something went wrong
err-internal = An unexpected error occurred on our side. Please try again.
login-title = Sign in to tessera
login-with = Sign in with { $name }
login-or = or with your tessera password
login-username = Username
login-password = Password
login-submit = Sign in
login-turned-off = Signing in with a password is turned off here; use single sign-on.
login-expired = This sign-in form has expired. Please try again.
login-missing = Enter your username and password.
login-incorrect = Incorrect username or password.
login-throttled = Too many failed sign-in attempts. Try again in { $minutes } minute(s).
logout-title = Sign out of tessera
logout-signed-in-as = You are signed in as
logout-explain = Signing out ends this session in every tab; your API tokens keep working.
logout-submit = Sign out

## Messages beside form fields

field-password-short = a password is at least 12 characters
field-password-username = a password cannot be your username
field-passwords-differ = the two new passwords differ
field-current-wrong = the current password is not right
field-no-password = this account signs in through single sign-on and has no password to change
field-display-name = a display name is at most 100 characters, without control characters
field-email-long = an email address is at most 254 characters
field-language = choose en (English) or nl (Nederlands)
field-label-required = a label is required
field-label-long = a label is at most 100 characters
field-label-control = a label cannot contain control characters
field-scopes-none = choose at least one scope
field-time-zone = unknown time zone "{ $name }"; use an IANA name such as Europe/Amsterdam
field-email = "{ $address }" is not an email address

## Messages after a change on Account Preferences

flash-details-saved = Details saved.
flash-details-link-sent = Details saved. We sent a link to { $email }: the address is used once you follow it (within 24 hours).
flash-details-mail-off = Details saved. { $email } waits for confirmation, but this server sends no mail, so no link can reach it; ask an admin to set your address.
flash-password-changed = Password changed. Every other session of your account has been signed out.
flash-session-ended = That session has been signed out.
flash-sessions-ended = { $n } other session(s) signed out.
flash-preferences-saved = Preferences saved.

## Tokens: the generate form, the list and the reveal dialog

gen-open = + Generate new token
gen-label = Label
gen-label-placeholder = e.g. CI deploy
gen-label-help = What is this token for? 1-100 characters.
gen-description = Description
gen-optional = (optional)
gen-description-help = Where is it used, who looks after it? Up to 1000 characters.
gen-expiration = Expiration
gen-scopes = Scopes
gen-app-scopes = Application scopes
gen-advanced = Advanced
gen-allowed-ips = Allowed IP addresses
gen-allowed-ips-help = Up to 20 IPv4/IPv6 addresses or CIDR ranges, one per line or comma separated. Blank: anywhere.
gen-rate-limit = Rate limit (requests per minute)
gen-rate-limit-placeholder = e.g. 600
gen-rate-limit-help = 1-100000. Blank: no limit.
gen-submit = Generate token
expiry-168 = 7 days
expiry-720 = 30 days
expiry-2160 = 90 days
expiry-8760 = 365 days
expiry-0 = Never
scope-profile-read = Read your account details
scope-profile-write = Change your display name, time zone, language and notifications
scope-tokens-read = List your tokens
scope-tokens-write = Create, deactivate and delete your tokens
scope-admin-read = Read every account, token and the audit log
scope-admin-write = Manage every account and token
scope-introspect = Ask whether a token is valid (RFC 7662)
scope-metrics-read = Read the server's metrics
tt-none = No tokens yet.
tt-none-help-start = Generate a token to let a script, CI job or tool call the API as you: choose
tt-none-help-end = above.
tt-no-match = No token matches.
tt-show-all = Show all { $tokens }
tt-old-secret = old secret valid until
tt-ips-title = May be used only from these addresses
tt-from = from { $ips }
tt-per-min = { $n }/min
tt-no-expiry-title = This token does not expire
tt-no-expiry = no expiration
tt-never-used = Never used
tt-activate = Activate
tt-activate-label = Activate token { $label }
tt-deactivate = Deactivate
tt-deactivate-label = Deactivate token { $label }
tt-delete = Delete
tt-delete-label = Delete token { $label }
tt-delete-confirm = Delete token “{ $label }”? Anything using it will stop working at once.
status-active = active
status-deactivated = deactivated
status-expired = expired
badge-expires = { $days ->
    [0] expires today
    [1] expires in 1 day
   *[other] expires in { $days } days
}
rv-title = Your new token
rv-copy-now = Copy it now.
rv-warning = You will not see this token again: tessera keeps only a hash of it.
rv-token = Token
rv-account-id = Account id
rv-try = Try it
rv-send-as = Send it as
rv-bare = Authorization (bare)
rv-api-key = API-KEY header
rv-curl = the curl command
rv-scope-start = This call needs the
rv-scope-middle = scope;
rv-scope-end = answers a token with any scope.
rv-close = I have copied it
copy = Copy
actions = Actions
col-label = Label
col-owner = Owner
col-scopes = Scopes
col-created = Created
col-expires = Expires
col-last-used = Last used
col-status = Status

## Notice mails

mail-never = never
mail-open-preferences = Open Account Preferences
mail-hello = Hello { $name },
mail-footer = You can choose which notices you get under Preferences on your Account Preferences page.
mail-verify-subject = Confirm your email address
mail-verify-asked = Someone (we hope you) asked tessera to send mail for the account { $username } to this address.
mail-verify-follow = Follow the link within 24 hours to confirm it. If it was not you, ignore this message: nothing changes.
mail-verify-link = Confirm this address
mail-created-subject = A new API token was created on your account
mail-created-body = The token { $token } was created on your account.
mail-created-expires = It expires: { $when }.
mail-created-not-you = If you did not create it, delete it on your Account Preferences page and change your password.
mail-expiry-subject = Your API token “{ $label }” expires in { $days ->
    [one] 1 day
   *[other] { $days } days
}
mail-expiry-body = The token { $token } expires on { $when }.
mail-expiry-advice = Programs that use it will be refused from then on. Generate a new token before then if you still need one.
mail-expired-subject = Your API token “{ $label }” has expired
mail-expired-body = The token { $token } expired on { $when }.
mail-expired-advice = Programs that use it are refused now. Generate a new token if you still need one.
mail-leaked-subject = Your API token “{ $label }” was found in public and deleted
mail-leaked-body = The token { $token } was reported leaked and has been deleted, so nobody can use it.
mail-leaked-body-at = The token { $token } was reported leaked (found at { $url }) and has been deleted, so nobody can use it.
mail-leaked-advice = Generate a new token for the programs that used it, and keep it out of code and logs.

## Dates and times

set-mail-off = This server sends no mail: its administrator has not set TESSERA_SMTP_URL and TESSERA_MAIL_FROM.
month-01 = Jan
month-02 = Feb
month-03 = Mar
month-04 = Apr
month-05 = May
month-06 = Jun
month-07 = Jul
month-08 = Aug
month-09 = Sep
month-10 = Oct
month-11 = Nov
month-12 = Dec
rel-now = just now
rel-in-minute = { $n ->
    [one] in 1 minute
   *[other] in { $n } minutes
}
rel-ago-minute = { $n ->
    [one] 1 minute ago
   *[other] { $n } minutes ago
}
rel-in-hour = { $n ->
    [one] in 1 hour
   *[other] in { $n } hours
}
rel-ago-hour = { $n ->
    [one] 1 hour ago
   *[other] { $n } hours ago
}
rel-in-day = { $n ->
    [one] in 1 day
   *[other] in { $n } days
}
rel-ago-day = { $n ->
    [one] 1 day ago
   *[other] { $n } days ago
}
rel-in-month = { $n ->
    [one] in 1 month
   *[other] in { $n } months
}
rel-ago-month = { $n ->
    [one] 1 month ago
   *[other] { $n } months ago
}
rel-in-year = { $n ->
    [one] in 1 year
   *[other] in { $n } years
}
rel-ago-year = { $n ->
    [one] 1 year ago
   *[other] { $n } years ago
}

## The token page and deleting every token

tp-details = Details
tp-owner = Owner
tp-description = Description
tp-none = None
tp-created = Created
tp-expires = Expires
tp-no-expiry-title = Tokens that never expire stay valid if they leak
tp-last-used = Last used
tp-last-address = Last address
tp-last-agent = Last user agent
tp-allowed-from = Allowed from
tp-anywhere = Anywhere
tp-rate-limit = Rate limit
tp-per-minute = { $n } requests per minute
tp-old-secret = Old secret
tp-valid-until = valid until
tp-scopes = Scopes
tp-not-in-effect = not in effect: the owner's role no longer allows it
tp-usage = Uses per day, last 30 days
tp-chart-title = Uses per day from { $first } to { $last }
tp-chart-none = No uses from { $first } to { $last }.
tp-chart-summary = { $total } uses from { $first } to { $last }; the busiest day was { $day } with { $n }.
tp-counts-written = Counts are written every few seconds.
tp-uses-per-day = Uses per day
tp-day = Day
tp-uses = Uses
tp-addresses = Addresses, last 30 days
tp-none-yet = None yet.
tp-last-seen = last seen
tp-edit = Edit
tp-edit-intro = A token can be narrowed, never widened: remove scopes or bring its expiry earlier.
tp-label-help = 1-100 characters.
tp-description-help = What is it for, where is it used? Up to 1000 characters.
tp-expires-on = Expires on (UTC)
tp-earlier = It can only come earlier
tp-empty-never = ; left empty, the token never expires
tp-untick = Scopes (untick to remove)
tp-save = Save changes
tp-regenerate = Regenerate
tp-regenerate-intro = A new secret for the same token: same label, scopes and restrictions. It is shown once. Programs still using the old secret can keep working during a grace period.
tp-old-keeps = Old secret keeps working
tp-regenerate-submit = Regenerate token
tp-danger = Danger zone
grace-0 = None: the old secret stops at once
grace-1 = 1 hour
grace-24 = 24 hours
grace-168 = 7 days
da-title = Delete all { $count } tokens of { $whose }?
da-your-account = your account
da-body = Every program using one of them will stop working at once. This cannot be undone.

## Messages after a token changes

flash-token-created = Token “{ $label }” created.
flash-token-deactivated = Token “{ $label }” deactivated.
flash-token-activated = Token “{ $label }” activated.
flash-token-deleted = Token “{ $label }” deleted.
flash-token-saved = Token “{ $label }” saved.
flash-token-regenerated-grace = Token “{ $label }” regenerated; the old secret works until { $until }.
flash-token-regenerated = Token “{ $label }” regenerated; the old secret no longer works.
flash-tokens-deleted = { $n ->
    [one] 1 token deleted.
   *[other] { $n } tokens deleted.
}

## Messages after signing in

flash-password-was-reset = Your password was reset by an admin. Choose a new one to go on.
flash-signed-in-as = Signed in as { $name }.

## Admin: mail that failed

notices-title = Mail that failed
notices-intro = Notices whose sending failed at least once, newest first: still being retried, given up, or sent in the end.
notices-state-pending = Retrying
notices-state-sending = Sending
notices-state-sent = Sent
notices-state-failed = Given up
notices-state-skipped = Not sent
notices-none = No mail has failed.
notices-col-notice = Notice
notices-col-account = Account
notices-col-state = State
notices-col-attempts = Attempts
notices-col-last-error = Last error

## Error messages on pages (the JSON API words them the same in English)

msg-link-invalid = this verification link is not valid; ask for a new one
msg-link-expired = this verification link has expired; enter the address again for a new one
msg-admin-scope = only admins may grant { $scope }
msg-role-scope = your role may not grant the scope { $scope }
msg-expiry-range = expires_in_hours must be between 0 (never) and { $max }
msg-expiry-never = tokens on this server must expire within { $days } days; "never" is not allowed
msg-expiry-max = tokens on this server must expire within { $days } days ({ $hours } hours)
msg-too-many-tokens = this account already holds { $held } tokens, the most allowed ({ $max }); delete one first
msg-bad-ip = "{ $item }" is neither an IPv4/IPv6 address nor a CIDR range
msg-too-many-ips = at most { $max } addresses or ranges per token
msg-rate-limit = a rate limit is 1-{ $max } requests per minute, or null for none
msg-scopes-only-removed = scopes can only be removed, not added ({ $scope } is not on this token)
msg-expiry-not-removed = an expiry can be brought earlier, not removed
msg-expiry-earlier = an expiry can only be brought earlier
msg-expiry-future = choose a time in the future (deactivate or delete the token to stop it now)
msg-description-long = a description is at most { $max } characters
msg-description-control = a description cannot contain control characters
msg-scope-exists = the scope { $name } already exists
msg-not-found = not found
msg-admins-only = the admin pages are for admins; ask one to change your role if you need them
msg-form-expired = the form has expired or did not come from this site; reload the page and try again
msg-too-many-attempts = too many attempts; try again in { $seconds } seconds

## Signing in through single sign-on

sso-default-name = single sign-on
sso-not-set-up-title = Single sign-on is not set up
sso-not-set-up = This tessera server has no identity provider configured. Sign in with your password.
sso-unavailable-title = Sign-in service unavailable
sso-unavailable = tessera could not reach { $name }. Try again in a few minutes; if it keeps happening, tell your administrator.
sso-cancelled-title = Sign-in cancelled
sso-cancelled = You did not allow tessera to sign you in with { $name }. Nothing was changed.
sso-refused-title = Sign-in refused
sso-refused = { $name } did not sign you in ({ $code }). Please try again.
sso-refused-unknown = { $name } did not sign you in (an error). Please try again.
sso-expired-title = Sign-in expired
sso-expired = This sign-in was already completed, took too long, or did not start on this page. Please sign in again.
sso-code-refused-title = Sign-in could not be completed
sso-code-refused = { $name } did not confirm this sign-in; its link may have been used already. Please sign in again.
sso-unverified-title = Sign-in could not be verified
sso-unverified = The answer from { $name } could not be trusted: { $reason }. Please sign in again; if it keeps happening, tell your administrator.
sso-problem-missing = it carried no ID token
sso-problem-expired = it has expired (is this server's clock right?)
sso-problem-issuer = it comes from an unexpected issuer
sso-problem-audience = it was made for another application
sso-problem-nonce = it was not made for this sign-in
sso-problem-signature = its signature does not match the provider's keys
sso-problem-other = it failed a check
sso-deactivated-title = Account deactivated
sso-deactivated = Your tessera account is deactivated, so you cannot sign in. Ask an administrator to activate it again.

## Confirming an email address

flash-email-verified = Your email address is now { $email }.
flash-email-link-used = This link has been used already, or a newer address was asked for since; nothing changed.
