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

## Account Preferences: the profile page and its settings

pref-title = Accountvoorkeuren
pref-leaked = Uitgelekte tokens zijn verwijderd.
pref-account = Account
pref-username = Gebruikersnaam
pref-display-name = Weergavenaam
pref-role = Rol
pref-account-id = Account-id
pref-email = E-mail
pref-none = geen
pref-time-zone = Tijdzone
pref-tokens = API-tokens
pref-tokens-intro = Met tokens kunnen programma's de API van tessera aanroepen namens jou.
pref-tokens-used = { $held } van { $cap } tokens
pref-used = gebruikt.
pref-find = Tokens zoeken
pref-search = Zoeken in labels
pref-status = Status
pref-sort = Sorteren op
pref-order = Volgorde
pref-show = Tonen
pref-clear = Wissen
pref-delete-all-confirm = Alle { $tokens } verwijderen? Elk programma dat er een gebruikt, werkt dan meteen niet meer.
pref-delete-all = Alle tokens verwijderen…
set-details = Gegevens
set-display-name-help = Wordt getoond in plaats van je gebruikersnaam. Leeg: je gebruikersnaam.
set-email = E-mailadres
set-verified = bevestigd
set-pending = wacht tot je de link volgt die we ernaartoe hebben gestuurd.
set-verification-off = Bevestigen is uitgeschakeld: { $reason }
set-email-help = Een nieuw adres wordt gebruikt zodra je de link volgt die we ernaartoe mailen (24 uur geldig).
set-save-details = Gegevens opslaan
set-password = Wachtwoord
set-sso = Je meldt je aan via single sign-on, dus dit account heeft geen eigen wachtwoord om te wijzigen: dat doe je bij je identiteitsprovider.
set-sessions = Sessies
set-sessions-intro = Browsers die zijn aangemeld bij je account. Meld af wat je niet herkent.
set-sign-out-others = Alle andere sessies afmelden
set-browser = Browser
set-ip = IP-adres
set-signed-in = Aangemeld
set-last-seen = Laatst gezien
set-unknown-browser = Onbekende browser
set-this-session = deze sessie
set-unknown = onbekend
set-never = Nooit
set-sign-out = Afmelden
set-session-n = sessie { $id }
set-preferences = Voorkeuren
set-time-zone-help = Een IANA-naam zoals Europe/Amsterdam. Elke tijd op deze pagina's wordt erin getoond.
set-language = Taal
set-language-help = Zolang je niets kiest, wordt de taal van je browser gebruikt.
set-email-me = Mail me als
set-notices-off = Meldingen zijn uitgeschakeld: { $reason }
set-save-preferences = Voorkeuren opslaan
pw-title = Wachtwoord wijzigen
pw-choose = Kies een nieuw wachtwoord
pw-forced = Een beheerder heeft je wachtwoord opnieuw ingesteld. Vul het eenmalige wachtwoord dat je kreeg in als huidig wachtwoord en kies daarna je eigen wachtwoord.
pw-current = Huidig wachtwoord
pw-current-help = Het wachtwoord waarmee je je hebt aangemeld.
pw-new = Nieuw wachtwoord
pw-new-help = Minstens 12 tekens, en niet je gebruikersnaam.
pw-again = Nieuw wachtwoord nogmaals
pw-again-help = Typ het nog een keer, voor de zekerheid.
pw-signs-out = Als je het wijzigt, worden alle andere sessies van je account afgemeld.
del-title = Token “{ $label }” verwijderen?
del-body-start = Het token
del-body-end = werkt dan meteen niet meer, voor elk programma dat het gebruikt. Dit kun je niet ongedaan maken.
del-button = Token verwijderen
cancel = Annuleren

## Lists of tokens

list-created = Aangemaakt
list-last-used = Laatst gebruikt
list-expires = Verloopt
list-label = Label
list-default = Standaard
list-ascending = Oplopend
list-descending = Aflopend
list-any = Alle
list-active = Actief
list-deactivated = Gedeactiveerd
list-expired = Verlopen
list-tokens = { $n ->
    [one] 1 token
   *[other] { $n } tokens
}

## What a notice mail is about, as a choice on the Preferences form

notify-verify_email = Een nieuw e-mailadres bevestigen
notify-token_created = Er een token op mijn account wordt aangemaakt
notify-expiry_7d = Een token over 7 dagen verloopt
notify-expiry_1d = Een token over 1 dag verloopt
notify-expired = Een token is verlopen
notify-token_leaked = Een token als uitgelekt wordt gemeld

## Signing in and out, and error pages

err-status = Fout { $status }
err-back-sign-in = Terug naar aanmelden
err-back-preferences = Terug naar Accountvoorkeuren
err-not-found = Pagina niet gevonden
err-forbidden = Niet toegestaan
err-too-many = Te veel verzoeken
err-unavailable = Tijdelijk niet beschikbaar
err-client = Dat lukte niet
err-server = Er ging iets mis
err-internal = Er ging onverwacht iets mis aan onze kant. Probeer het opnieuw.
login-title = Aanmelden bij tessera
login-with = Aanmelden met { $name }
login-or = of met je tessera-wachtwoord
login-username = Gebruikersnaam
login-password = Wachtwoord
login-submit = Aanmelden
login-turned-off = Aanmelden met een wachtwoord staat hier uit; gebruik single sign-on.
login-expired = Dit aanmeldformulier is verlopen. Probeer het opnieuw.
login-missing = Vul je gebruikersnaam en wachtwoord in.
login-incorrect = Onjuiste gebruikersnaam of onjuist wachtwoord.
login-throttled = Te veel mislukte aanmeldpogingen. Probeer het over { $minutes } { $minutes ->
        [one] minuut
       *[other] minuten
    } opnieuw.
logout-title = Afmelden bij tessera
logout-signed-in-as = Je bent aangemeld als
logout-explain = Afmelden beëindigt deze sessie in elk tabblad; je API-tokens blijven werken.
logout-submit = Afmelden

## Messages beside form fields

field-password-short = een wachtwoord heeft minstens 12 tekens
field-password-username = je wachtwoord mag niet je gebruikersnaam zijn
field-passwords-differ = de twee nieuwe wachtwoorden zijn niet gelijk
field-current-wrong = het huidige wachtwoord klopt niet
field-no-password = dit account meldt zich aan via single sign-on en heeft geen wachtwoord om te wijzigen
field-display-name = een weergavenaam heeft hoogstens 100 tekens, zonder stuurtekens
field-email-long = een e-mailadres heeft hoogstens 254 tekens
field-language = kies en (English) of nl (Nederlands)
field-label-required = een label is verplicht
field-label-long = een label heeft hoogstens 100 tekens
field-label-control = een label mag geen stuurtekens bevatten
field-scopes-none = kies minstens één scope
field-time-zone = onbekende tijdzone "{ $name }"; gebruik een IANA-naam zoals Europe/Amsterdam
field-email = "{ $address }" is geen e-mailadres

## Messages after a change on Account Preferences

flash-details-saved = Gegevens opgeslagen.
flash-details-link-sent = Gegevens opgeslagen. We hebben een link naar { $email } gestuurd: het adres wordt gebruikt zodra je die volgt (binnen 24 uur).
flash-details-mail-off = Gegevens opgeslagen. { $email } wacht op bevestiging, maar deze server verstuurt geen mail, dus er kan geen link aankomen; vraag een beheerder je adres in te stellen.
flash-password-changed = Wachtwoord gewijzigd. Alle andere sessies van je account zijn afgemeld.
flash-session-ended = Die sessie is afgemeld.
flash-sessions-ended = { $n ->
    [one] 1 andere sessie afgemeld.
   *[other] { $n } andere sessies afgemeld.
}
flash-preferences-saved = Voorkeuren opgeslagen.

## Tokens: the generate form, the list and the reveal dialog

gen-open = + Nieuw token aanmaken
gen-label = Label
gen-label-placeholder = bijv. CI-deploy
gen-label-help = Waar is dit token voor? 1-100 tekens.
gen-description = Beschrijving
gen-optional = (optioneel)
gen-description-help = Waar wordt het gebruikt, wie beheert het? Hoogstens 1000 tekens.
gen-expiration = Verloopt na
gen-scopes = Scopes
gen-app-scopes = Applicatiescopes
gen-advanced = Geavanceerd
gen-allowed-ips = Toegestane IP-adressen
gen-allowed-ips-help = Hoogstens 20 IPv4/IPv6-adressen of CIDR-reeksen, één per regel of gescheiden door komma's. Leeg: overal.
gen-rate-limit = Limiet (verzoeken per minuut)
gen-rate-limit-placeholder = bijv. 600
gen-rate-limit-help = 1-100000. Leeg: geen limiet.
gen-submit = Token aanmaken
expiry-168 = 7 dagen
expiry-720 = 30 dagen
expiry-2160 = 90 dagen
expiry-8760 = 365 dagen
expiry-0 = Nooit
scope-profile-read = Je accountgegevens lezen
scope-profile-write = Je weergavenaam, tijdzone, taal en meldingen wijzigen
scope-tokens-read = Je tokens opvragen
scope-tokens-write = Je tokens aanmaken, deactiveren en verwijderen
scope-admin-read = Alle accounts, tokens en het auditlog lezen
scope-admin-write = Alle accounts en tokens beheren
scope-introspect = Vragen of een token geldig is (RFC 7662)
scope-metrics-read = De metrics van de server lezen
tt-none = Nog geen tokens.
tt-none-help-start = Maak een token aan om een script, CI-job of tool de API namens jou te laten aanroepen: kies
tt-none-help-end = hierboven.
tt-no-match = Geen token gevonden.
tt-show-all = Alle { $tokens } tonen
tt-old-secret = oud geheim geldig tot
tt-ips-title = Mag alleen vanaf deze adressen worden gebruikt
tt-from = vanaf { $ips }
tt-per-min = { $n }/min
tt-no-expiry-title = Dit token verloopt niet
tt-no-expiry = verloopt niet
tt-never-used = Nooit gebruikt
tt-activate = Activeren
tt-activate-label = Token { $label } activeren
tt-deactivate = Deactiveren
tt-deactivate-label = Token { $label } deactiveren
tt-delete = Verwijderen
tt-delete-label = Token { $label } verwijderen
tt-delete-confirm = Token “{ $label }” verwijderen? Alles wat het gebruikt, werkt dan meteen niet meer.
status-active = actief
status-deactivated = gedeactiveerd
status-expired = verlopen
badge-expires = { $days ->
    [0] verloopt vandaag
    [1] verloopt over 1 dag
   *[other] verloopt over { $days } dagen
}
rv-title = Je nieuwe token
rv-copy-now = Kopieer het nu.
rv-warning = Je ziet dit token niet meer terug: tessera bewaart er alleen een hash van.
rv-token = Token
rv-account-id = Account-id
rv-try = Probeer het
rv-send-as = Verstuur het als
rv-bare = Authorization (kaal)
rv-api-key = API-KEY-header
rv-curl = het curl-commando
rv-scope-start = Deze aanroep heeft de scope
rv-scope-middle = nodig;
rv-scope-end = beantwoordt een token met elke scope.
rv-close = Ik heb het gekopieerd
copy = Kopiëren
actions = Acties
col-label = Label
col-owner = Eigenaar
col-scopes = Scopes
col-created = Aangemaakt
col-expires = Verloopt
col-last-used = Laatst gebruikt
col-status = Status

## Notice mails

mail-never = nooit
mail-open-preferences = Accountvoorkeuren openen
mail-hello = Hallo { $name },
mail-footer = Onder Voorkeuren op je pagina Accountvoorkeuren kies je welke meldingen je krijgt.
mail-verify-subject = Bevestig je e-mailadres
mail-verify-asked = Iemand (hopelijk jij) heeft tessera gevraagd mail voor het account { $username } naar dit adres te sturen.
mail-verify-follow = Volg de link binnen 24 uur om het te bevestigen. Was jij het niet, negeer dan dit bericht: er verandert niets.
mail-verify-link = Dit adres bevestigen
mail-created-subject = Er is een nieuw API-token aangemaakt op je account
mail-created-body = Het token { $token } is aangemaakt op je account.
mail-created-expires = Het verloopt: { $when }.
mail-created-not-you = Heb je het niet zelf aangemaakt? Verwijder het dan op je pagina Accountvoorkeuren en wijzig je wachtwoord.
mail-expiry-subject = Je API-token “{ $label }” verloopt over { $days ->
    [one] 1 dag
   *[other] { $days } dagen
}
mail-expiry-body = Het token { $token } verloopt op { $when }.
mail-expiry-advice = Programma's die het gebruiken, worden vanaf dan geweigerd. Maak voor die tijd een nieuw token aan als je er nog een nodig hebt.
mail-expired-subject = Je API-token “{ $label }” is verlopen
mail-expired-body = Het token { $token } is verlopen op { $when }.
mail-expired-advice = Programma's die het gebruiken, worden nu geweigerd. Maak een nieuw token aan als je er nog een nodig hebt.
mail-leaked-subject = Je API-token “{ $label }” is openbaar gevonden en verwijderd
mail-leaked-body = Het token { $token } is gemeld als uitgelekt en verwijderd, zodat niemand het kan gebruiken.
mail-leaked-body-at = Het token { $token } is gemeld als uitgelekt (gevonden op { $url }) en verwijderd, zodat niemand het kan gebruiken.
mail-leaked-advice = Maak een nieuw token aan voor de programma's die het gebruikten, en houd het buiten code en logs.

## Dates and times

set-mail-off = Deze server verstuurt geen mail: de beheerder heeft TESSERA_SMTP_URL en TESSERA_MAIL_FROM niet ingesteld.
month-01 = jan.
month-02 = feb.
month-03 = mrt.
month-04 = apr.
month-05 = mei
month-06 = jun.
month-07 = jul.
month-08 = aug.
month-09 = sep.
month-10 = okt.
month-11 = nov.
month-12 = dec.
rel-now = zojuist
rel-in-minute = { $n ->
    [one] over 1 minuut
   *[other] over { $n } minuten
}
rel-ago-minute = { $n ->
    [one] 1 minuut geleden
   *[other] { $n } minuten geleden
}
rel-in-hour = { $n ->
    [one] over 1 uur
   *[other] over { $n } uur
}
rel-ago-hour = { $n ->
    [one] 1 uur geleden
   *[other] { $n } uur geleden
}
rel-in-day = { $n ->
    [one] over 1 dag
   *[other] over { $n } dagen
}
rel-ago-day = { $n ->
    [one] 1 dag geleden
   *[other] { $n } dagen geleden
}
rel-in-month = { $n ->
    [one] over 1 maand
   *[other] over { $n } maanden
}
rel-ago-month = { $n ->
    [one] 1 maand geleden
   *[other] { $n } maanden geleden
}
rel-in-year = { $n ->
    [one] over 1 jaar
   *[other] over { $n } jaar
}
rel-ago-year = { $n ->
    [one] 1 jaar geleden
   *[other] { $n } jaar geleden
}

## The token page and deleting every token

tp-details = Gegevens
tp-owner = Eigenaar
tp-description = Beschrijving
tp-none = Geen
tp-created = Aangemaakt
tp-expires = Verloopt
tp-no-expiry-title = Tokens die nooit verlopen, blijven geldig als ze uitlekken
tp-last-used = Laatst gebruikt
tp-last-address = Laatste adres
tp-last-agent = Laatste user agent
tp-allowed-from = Toegestaan vanaf
tp-anywhere = Overal
tp-rate-limit = Limiet
tp-per-minute = { $n } verzoeken per minuut
tp-old-secret = Oud geheim
tp-valid-until = geldig tot
tp-scopes = Scopes
tp-not-in-effect = niet van kracht: de rol van de eigenaar staat het niet meer toe
tp-usage = Gebruik per dag, laatste 30 dagen
tp-chart-title = Gebruik per dag van { $first } tot { $last }
tp-chart-none = Niet gebruikt van { $first } tot { $last }.
tp-chart-summary = { $total } keer gebruikt van { $first } tot { $last }; de drukste dag was { $day } met { $n }.
tp-counts-written = De tellingen worden om de paar seconden bijgewerkt.
tp-uses-per-day = Gebruik per dag
tp-day = Dag
tp-uses = Gebruik
tp-addresses = Adressen, laatste 30 dagen
tp-none-yet = Nog geen.
tp-last-seen = laatst gezien
tp-edit = Bewerken
tp-edit-intro = Een token kan alleen beperkt worden, nooit verruimd: haal scopes weg of vervroeg het verlopen.
tp-label-help = 1-100 tekens.
tp-description-help = Waar is het voor, waar wordt het gebruikt? Hoogstens 1000 tekens.
tp-expires-on = Verloopt op (UTC)
tp-earlier = Het kan alleen eerder
tp-empty-never = ; leeg gelaten verloopt het token nooit
tp-untick = Scopes (vink uit om te verwijderen)
tp-save = Wijzigingen opslaan
tp-regenerate = Opnieuw genereren
tp-regenerate-intro = Een nieuw geheim voor hetzelfde token: zelfde label, scopes en beperkingen. Het wordt één keer getoond. Programma's die het oude geheim nog gebruiken, kunnen tijdens een overgangsperiode blijven werken.
tp-old-keeps = Oud geheim blijft werken
tp-regenerate-submit = Token opnieuw genereren
tp-danger = Gevarenzone
grace-0 = Niet: het oude geheim stopt meteen
grace-1 = 1 uur
grace-24 = 24 uur
grace-168 = 7 dagen
da-title = Alle { $count } tokens van { $whose } verwijderen?
da-your-account = je account
da-body = Elk programma dat er een gebruikt, werkt dan meteen niet meer. Dit kun je niet ongedaan maken.

## Messages after a token changes

flash-token-created = Token “{ $label }” aangemaakt.
flash-token-deactivated = Token “{ $label }” gedeactiveerd.
flash-token-activated = Token “{ $label }” geactiveerd.
flash-token-deleted = Token “{ $label }” verwijderd.
flash-token-saved = Token “{ $label }” opgeslagen.
flash-token-regenerated-grace = Token “{ $label }” opnieuw gegenereerd; het oude geheim werkt tot { $until }.
flash-token-regenerated = Token “{ $label }” opnieuw gegenereerd; het oude geheim werkt niet meer.
flash-tokens-deleted = { $n ->
    [one] 1 token verwijderd.
   *[other] { $n } tokens verwijderd.
}

## Messages after signing in

flash-password-was-reset = Een beheerder heeft je wachtwoord opnieuw ingesteld. Kies een nieuw wachtwoord om verder te gaan.
flash-signed-in-as = Aangemeld als { $name }.

## Admin: mail that failed

notices-title = Mislukte mail
notices-intro = Berichten waarvan het versturen minstens één keer mislukte, nieuwste eerst: nog in herhaling, opgegeven of toch nog verstuurd.
notices-state-pending = Wordt opnieuw geprobeerd
notices-state-sending = Wordt verstuurd
notices-state-sent = Verstuurd
notices-state-failed = Opgegeven
notices-state-skipped = Niet verstuurd
notices-none = Er is geen mail mislukt.
notices-col-notice = Bericht
notices-col-account = Account
notices-col-state = Status
notices-col-attempts = Pogingen
notices-col-last-error = Laatste fout

## Foutmeldingen op pagina's (de JSON-API geeft ze in het Engels)

msg-link-invalid = deze bevestigingslink is niet geldig; vraag een nieuwe aan
msg-link-expired = deze bevestigingslink is verlopen; vul het adres opnieuw in voor een nieuwe
msg-admin-scope = alleen beheerders mogen { $scope } toekennen
msg-role-scope = je rol mag de scope { $scope } niet toekennen
msg-expiry-range = expires_in_hours ligt tussen 0 (nooit) en { $max }
msg-expiry-never = tokens op deze server moeten binnen { $days } dagen verlopen; "nooit" mag niet
msg-expiry-max = tokens op deze server moeten binnen { $days } dagen ({ $hours } uur) verlopen
msg-too-many-tokens = dit account heeft al { $held } tokens, het maximum ({ $max }); verwijder er eerst een
msg-bad-ip = "{ $item }" is geen IPv4/IPv6-adres en geen CIDR-bereik
msg-too-many-ips = hoogstens { $max } adressen of bereiken per token
msg-rate-limit = een limiet is 1-{ $max } verzoeken per minuut, of leeg voor geen
msg-scopes-only-removed = scopes kunnen alleen worden weggehaald, niet toegevoegd ({ $scope } staat niet op dit token)
msg-expiry-not-removed = een vervaldatum kan vervroegd worden, niet weggehaald
msg-expiry-earlier = een vervaldatum kan alleen vervroegd worden
msg-expiry-future = kies een tijd in de toekomst (deactiveer of verwijder het token om het nu te stoppen)
msg-description-long = een beschrijving heeft hoogstens { $max } tekens
msg-description-control = een beschrijving mag geen stuurtekens bevatten
msg-scope-exists = de scope { $name } bestaat al
msg-not-found = hier is niets te vinden
msg-admins-only = de beheerpagina's zijn voor beheerders; vraag er een om je rol te wijzigen als je ze nodig hebt
msg-form-expired = het formulier is verlopen of kwam niet van deze site; laad de pagina opnieuw en probeer het nog eens
msg-too-many-attempts = te veel pogingen; probeer het over { $seconds } seconden opnieuw

## Aanmelden via single sign-on

sso-default-name = single sign-on
sso-not-set-up-title = Single sign-on is niet ingesteld
sso-not-set-up = Deze tessera-server heeft geen identiteitsprovider ingesteld. Meld je aan met je wachtwoord.
sso-unavailable-title = Aanmeldservice niet bereikbaar
sso-unavailable = tessera kon { $name } niet bereiken. Probeer het over een paar minuten opnieuw; blijft het gebeuren, meld het dan aan je beheerder.
sso-cancelled-title = Aanmelden geannuleerd
sso-cancelled = Je hebt tessera niet toegestaan je aan te melden met { $name }. Er is niets gewijzigd.
sso-refused-title = Aanmelden geweigerd
sso-refused = { $name } heeft je niet aangemeld ({ $code }). Probeer het opnieuw.
sso-refused-unknown = { $name } heeft je niet aangemeld (een fout). Probeer het opnieuw.
sso-expired-title = Aanmelding verlopen
sso-expired = Deze aanmelding was al afgerond, duurde te lang of begon niet op deze pagina. Meld je opnieuw aan.
sso-code-refused-title = Aanmelden kon niet worden afgerond
sso-code-refused = { $name } heeft deze aanmelding niet bevestigd; de link is misschien al gebruikt. Meld je opnieuw aan.
sso-unverified-title = Aanmelding kon niet worden gecontroleerd
sso-unverified = Het antwoord van { $name } was niet te vertrouwen: { $reason }. Meld je opnieuw aan; blijft het gebeuren, meld het dan aan je beheerder.
sso-problem-missing = er zat geen ID-token in
sso-problem-expired = het is verlopen (staat de klok van deze server goed?)
sso-problem-issuer = het komt van een onverwachte uitgever
sso-problem-audience = het was voor een andere toepassing bedoeld
sso-problem-nonce = het was niet voor deze aanmelding bedoeld
sso-problem-signature = de handtekening past niet bij de sleutels van de provider
sso-problem-other = het kwam niet door een controle
sso-deactivated-title = Account gedeactiveerd
sso-deactivated = Je tessera-account is gedeactiveerd, dus je kunt je niet aanmelden. Vraag een beheerder om het weer te activeren.

## Een e-mailadres bevestigen

flash-email-verified = Je e-mailadres is nu { $email }.
flash-email-link-used = Deze link is al gebruikt, of er is sindsdien een nieuwer adres opgegeven; er is niets gewijzigd.
