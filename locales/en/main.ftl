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
