## Het beheergedeelte: alle accounts, alle tokens, scopes, het auditlog.
## Elke sleutel begint met admin-; dezelfde sleutels staan in en/admin.ftl.

## De tabbladen en het kader van de lijsten

admin-nav = Beheeronderdelen
admin-filter = Filteren
admin-search = Zoeken
admin-refresh = Vernieuwen
admin-pages = Pagina's
admin-page-nothing = Niets te tonen.
admin-page-range = { $first }–{ $last } van { $total }
admin-page-of = Pagina { $page } van { $pages }
admin-page-prev = ← Vorige
admin-page-next = Volgende →
admin-col-tokens = Tokens
admin-last-sign-in = Laatst aangemeld

## Rollen, als badge en als keuze

admin-role-user = gebruiker
admin-role-admin = beheerder
admin-role-option-user = Gebruiker
admin-role-option-admin = Beheerder

## Accounts

admin-accounts = Accounts
admin-users-intro = Iedereen die zich bij tessera kan aanmelden, met de rol en het aantal tokens.
admin-create-account-open = + Account aanmaken
admin-create-account = Account aanmaken
admin-username-help = 1-64 letters, cijfers, “.”, “_” of “-”. Dit kan later niet meer worden gewijzigd.
admin-display-name-help = Optioneel; leeg gelaten wordt de gebruikersnaam gebruikt.
admin-initial-password-help = tessera maakt het beginwachtwoord aan en toont het je één keer.
admin-search-username = Zoeken op gebruikersnaam
admin-users-none = Geen accounts gevonden.

## De pagina van één account

admin-change-role = Rol wijzigen
admin-deactivate-account = Account deactiveren
admin-deactivate-account-confirm = { $username } deactiveren? Het account wordt overal afgemeld en de tokens werken niet meer tot het account weer is geactiveerd.
admin-activate-account = Account activeren
admin-email-help = Wordt meteen gebruikt, zonder bevestigingslink. Leeg: geen.
admin-set-email = E-mailadres instellen
admin-reset-password = Wachtwoord opnieuw instellen
admin-reset-password-confirm = Het wachtwoord van { $username } opnieuw instellen? Het account wordt overal afgemeld en moet met het eenmalige wachtwoord dat je te zien krijgt een nieuw wachtwoord kiezen.
admin-own-account = Dit is je eigen account: als je het degradeert of deactiveert, heb je geen toegang meer tot deze pagina's.
admin-user-tokens = { $n ->
    [one] 1 token
   *[other] { $n } tokens
}. Deactiveren of verwijderen stopt een token meteen.
admin-no-tokens = Geen tokens.
admin-delete-all-confirm = Alle tokens van { $username } verwijderen? Elk programma dat er een gebruikt, stopt meteen.
admin-reveal-initial = Beginwachtwoord voor { $username }
admin-reveal-reset = Eenmalig wachtwoord voor { $username }
admin-reveal-copy-now = Kopieer het nu
admin-reveal-give = en geef het via een veilig kanaal aan { $username }. Je ziet het niet meer terug.
admin-reveal-must-choose = Wie zich ermee aanmeldt, moet meteen een nieuw wachtwoord kiezen.

## Alle tokens

admin-tokens-intro = Tokens van alle accounts
admin-tokens-none = Geen tokens gevonden.
admin-sort = Sorteren
admin-any-status = Elke status
admin-sort-newest = Nieuwste eerst
admin-sort-recent = Recent gebruikt

## Scopes

admin-scopes-intro-start = Wat een token mag. De ingebouwde scopes geven toegang tot tessera zelf; applicatiescopes geef je zelf een naam, voor de diensten achter
admin-scopes-intro-end = en introspectie (zie docs/FORWARD-AUTH.md).
admin-create-scope-open = + Scope aanmaken
admin-create-scope = Scope aanmaken
admin-scope-name = Naam
admin-scope-name-help = dienst:actie, in kleine letters, cijfers, “_” en “-” (en “.” na de dubbele punt).
admin-scope-description-help = Staat naast de scope op het formulier “Nieuw token aanmaken”; hoogstens 200 tekens.
admin-grantable-by = Wie mag hem toekennen
admin-grantable-users = Gebruikers
admin-grantable-admins = Beheerders
admin-col-scope = Scope
admin-builtin = ingebouwd
admin-scope-delete-label = Scope { $name } verwijderen
admin-scope-delete-confirm = Scope { $name } verwijderen? Hij wordt meteen weggehaald bij { $n ->
    [one] het ene token dat hem heeft
   *[other] de { $n } tokens die hem hebben
}.

## Het auditlog

admin-audit-intro = Wat er gebeurde, nieuwste eerst
admin-audit-none = Geen gebeurtenissen gevonden.
admin-audit-any-event = Elke gebeurtenis
admin-audit-actor-id = Account-id van de uitvoerder
admin-audit-target-id = Account-id van het betrokken account
admin-audit-command-line = opdrachtregel
admin-audit-visitor = Iemand die niet was aangemeld
admin-col-time = Tijd
admin-col-event = Gebeurtenis
admin-col-actor = Uitvoerder
admin-col-target = Betrokken account
admin-col-token = Token
admin-col-ip = IP
admin-detail-scope-taken = { $name }: weggehaald bij { $n ->
    [one] 1 token
   *[other] { $n } tokens
}

## Wat een regel van het auditlog vastlegt (de code, met "-" voor "." en "_")

admin-event-token-created = Token aangemaakt
admin-event-token-deleted = Token verwijderd
admin-event-token-deactivated = Token gedeactiveerd
admin-event-token-activated = Token geactiveerd
admin-event-login-succeeded = Aangemeld
admin-event-login-failed = Aanmelden mislukt
admin-event-account-created = Account aangemaakt
admin-event-account-role-changed = Rol gewijzigd
admin-event-account-deactivated = Account gedeactiveerd
admin-event-account-activated = Account geactiveerd
admin-event-scope-created = Applicatiescope aangemaakt
admin-event-scope-deleted = Applicatiescope verwijderd
admin-event-token-ip-refused = Token geweigerd vanaf een niet-toegestaan adres
admin-event-account-password-changed = Wachtwoord gewijzigd
admin-event-account-password-reset = Wachtwoord opnieuw ingesteld door een beheerder
admin-event-account-email-changed = E-mailadres gewijzigd
admin-event-token-updated = Token bewerkt
admin-event-token-regenerated = Token opnieuw gegenereerd
admin-event-token-leaked = Token als uitgelekt gemeld en verwijderd

## Berichten na een wijziging door een beheerder

admin-flash-account-created = Account { $username } aangemaakt.
admin-flash-role = { $username } is nu { $role }.
admin-flash-account-deactivated = { $username } is gedeactiveerd: overal afgemeld, en de tokens werken niet meer.
admin-flash-account-activated = { $username } is weer actief.
admin-flash-email-set = Het e-mailadres van { $username } is nu { $email }.
admin-flash-email-removed = { $username } heeft nu geen e-mailadres.
admin-flash-password-reset = Het wachtwoord van { $username } is opnieuw ingesteld.
admin-flash-scope-created = Scope { $name } aangemaakt.
admin-flash-scope-deleted = Scope { $name } verwijderd en weggehaald bij { $n ->
    [one] 1 token
   *[other] { $n } tokens
}.
admin-flash-token-deactivated = Token “{ $label }” ({ $prefix }…) gedeactiveerd.
admin-flash-token-activated = Token “{ $label }” ({ $prefix }…) geactiveerd.
admin-flash-token-deleted = Token “{ $label }” ({ $prefix }…) verwijderd.

## Waarom een wijziging werd geweigerd (de JSON-fout blijft Engels)

admin-err-last-admin = { $username } is de laatste actieve beheerder; maak eerst een ander account beheerder
admin-err-username-taken = de gebruikersnaam “{ $username }” is al in gebruik
admin-err-username = een gebruikersnaam is 1-64 tekens: letters, cijfers, '.', '_' en '-'
admin-err-role = de rol is “user” (gebruiker) of “admin” (beheerder)
admin-err-scope-name-missing = geef de scope een naam, zoals billing:read
admin-err-scope-builtin = { $name } is een ingebouwde scope; kies een andere naam
admin-err-scope-name = een scopenaam is dienst:actie: kleine letters, cijfers, _ en - (en . na de dubbele punt), elk deel begint met een letter en is hoogstens 32 tekens, zoals billing:read
admin-err-description-long = hoogstens { $n } tekens
admin-err-no-role = kies minstens één rol die de scope mag toekennen
