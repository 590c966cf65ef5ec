## Every page: the navigation

nav-skip = Naar de inhoud
nav-main = Hoofdmenu
nav-preferences = Accountvoorkeuren
nav-admin = Beheer
nav-signed-in-as = Aangemeld als { $name }
nav-sign-out = Afmelden

## Page titles

title-preferences = Accountvoorkeuren
title-delete-token = Token verwijderen
title-sign-in = Aanmelden
title-sign-out = Afmelden
title-token = Token
title-token-named = Token “{ $label }”
title-edit-token = Token bewerken
title-delete-all = Alle tokens verwijderen
title-change-password = Wachtwoord wijzigen
title-mail = Mail
title-users = Gebruikers
title-audit = Auditlog
title-scopes = Scopes
title-all-tokens = Alle tokens
