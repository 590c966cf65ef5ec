## The admin area: every account, every token, scopes, the audit log.
## Every key here starts with admin-; the same keys are in nl/admin.ftl.

## The tabs and the frame of the lists

admin-nav = Admin sections
admin-filter = Filter
admin-search = Search
admin-refresh = Refresh
admin-pages = Pages
admin-page-nothing = Nothing to show.
admin-page-range = { $first }–{ $last } of { $total }
admin-page-of = Page { $page } of { $pages }
admin-page-prev = ← Previous
admin-page-next = Next →
admin-col-tokens = Tokens
admin-last-sign-in = Last sign-in

## Roles, as a badge and as a choice

admin-role-user = user
admin-role-admin = admin
admin-role-option-user = User
admin-role-option-admin = Admin

## Accounts

admin-accounts = Accounts
admin-users-intro = Everyone who can sign in to tessera, with their role and how many tokens they hold.
admin-create-account-open = + Create account
admin-create-account = Create account
admin-username-help = 1-64 letters, digits, “.”, “_” or “-”. It cannot be changed later.
admin-display-name-help = Optional; the username is used if left empty.
admin-initial-password-help = tessera generates the initial password and shows it to you once.
admin-search-username = Search by username
admin-users-none = No accounts match.

## One account's page

admin-change-role = Change role
admin-deactivate-account = Deactivate account
admin-deactivate-account-confirm = Deactivate { $username }? They are signed out everywhere and their tokens stop working until the account is activated again.
admin-activate-account = Activate account
admin-email-help = Used at once, without a confirmation link. Blank: none.
admin-set-email = Set email
admin-reset-password = Reset password
admin-reset-password-confirm = Reset the password of { $username }? They are signed out everywhere and must choose a new password with the one-time password you are shown.
admin-own-account = This is your own account: demoting or deactivating it ends your access to these pages.
admin-user-tokens = { $n ->
    [one] 1 token
   *[other] { $n } tokens
}. Deactivating or deleting one stops it at once.
admin-no-tokens = No tokens.
admin-delete-all-confirm = Delete all tokens of { $username }? Every program using one of them stops at once.
admin-reveal-initial = Initial password for { $username }
admin-reveal-reset = One-time password for { $username }
admin-reveal-copy-now = Copy it now
admin-reveal-give = and give it to { $username } over a safe channel. You will not see it again.
admin-reveal-must-choose = They must choose a new password when they sign in with it.

## Every token

admin-tokens-intro = Tokens of every account
admin-tokens-none = No tokens match.
admin-sort = Sort
admin-any-status = Any status
admin-sort-newest = Newest first
admin-sort-recent = Recently used

## Scopes

admin-scopes-intro-start = What a token may do. The built-in scopes open tessera itself; application scopes are yours to name for the services behind
admin-scopes-intro-end = and introspection (see docs/FORWARD-AUTH.md).
admin-create-scope-open = + Create scope
admin-create-scope = Create scope
admin-scope-name = Name
admin-scope-name-help = service:action, in lowercase letters, digits, “_” and “-” (and “.” after the colon).
admin-scope-description-help = Shown beside the scope on the “Generate new token” form; at most 200 characters.
admin-grantable-by = Who may grant it
admin-grantable-users = Users
admin-grantable-admins = Admins
admin-col-scope = Scope
admin-builtin = built-in
admin-scope-delete-label = Delete scope { $name }
admin-scope-delete-confirm = Delete scope { $name }? It is taken from { $n ->
    [one] the 1 token that holds it
   *[other] the { $n } tokens that hold it
}, at once.

## The audit log

admin-audit-intro = What happened, newest first
admin-audit-none = No entries match.
admin-audit-any-event = Any event
admin-audit-actor-id = Actor account id
admin-audit-target-id = Target account id
admin-audit-command-line = command line
admin-audit-visitor = Someone not signed in
admin-col-time = Time
admin-col-event = Event
admin-col-actor = Actor
admin-col-target = Target
admin-col-token = Token
admin-col-ip = IP
admin-detail-scope-taken = { $name }: taken from { $n ->
    [one] 1 token
   *[other] { $n } tokens
}

## What an audit entry records (its code, with "." and "_" as "-")

admin-event-token-created = Token created
admin-event-token-deleted = Token deleted
admin-event-token-deactivated = Token deactivated
admin-event-token-activated = Token activated
admin-event-login-succeeded = Signed in
admin-event-login-failed = Sign-in failed
admin-event-account-created = Account created
admin-event-account-role-changed = Role changed
admin-event-account-deactivated = Account deactivated
admin-event-account-activated = Account activated
admin-event-scope-created = Application scope created
admin-event-scope-deleted = Application scope deleted
admin-event-token-ip-refused = Token refused from an address not allowed
admin-event-account-password-changed = Password changed
admin-event-account-password-reset = Password reset by an admin
admin-event-account-email-changed = Email address changed
admin-event-token-updated = Token edited
admin-event-token-regenerated = Token regenerated
admin-event-token-leaked = Token reported leaked and deleted

## Messages after an admin's change

admin-flash-account-created = Account { $username } created.
admin-flash-role = { $username } is now { $role }.
admin-flash-account-deactivated = { $username } is deactivated: signed out everywhere, and its tokens stopped working.
admin-flash-account-activated = { $username } is active again.
admin-flash-email-set = The email address of { $username } is now { $email }.
admin-flash-email-removed = { $username } has no email address now.
admin-flash-password-reset = The password of { $username } was reset.
admin-flash-scope-created = Scope { $name } created.
admin-flash-scope-deleted = Scope { $name } deleted and taken from { $n ->
    [one] 1 token
   *[other] { $n } tokens
}.
admin-flash-token-deactivated = Token “{ $label }” ({ $prefix }…) deactivated.
admin-flash-token-activated = Token “{ $label }” ({ $prefix }…) activated.
admin-flash-token-deleted = Token “{ $label }” ({ $prefix }…) deleted.

## Why an admin's change was refused (the JSON error keeps its English)

admin-err-last-admin = { $username } is the last active admin; make another account an admin first
admin-err-username-taken = the username "{ $username }" is taken
admin-err-username = a username is 1-64 characters of letters, digits, '.', '_' and '-'
admin-err-role = the role is "user" or "admin"
admin-err-scope-name-missing = give the scope a name, like billing:read
admin-err-scope-builtin = { $name } is a built-in scope; choose another name
admin-err-scope-name = a scope name is service:action: lowercase letters, digits, _ and - (and . after the colon), each part starting with a letter and at most 32 characters, like billing:read
admin-err-description-long = at most { $n } characters
admin-err-no-role = choose at least one role that may grant the scope
