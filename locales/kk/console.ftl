# Талдаушылар консолі және өтініш берушіге қайта түсіру туралы кеңестер, қазақ тілінде.
# Кілттер en/console.ftl-дегідей (мұны src/i18n модульдік тесті тексереді).

## Бет жақтауы және навигация
console-name = faceverify консолі
console-banner = faceverify · алаяқтыққа қарсы тексеру
nav-sign-out = Шығу
nav-language = Тіл
nav-language-auto = Браузердегідей
nav-apply = Қолдану
nav-queue = Тексеру кезегі
nav-dashboard = Шолу
nav-lists = Тізімдер

role-onboarding = Онбординг қызметі
role-fraud_analyst = Антифрод талдаушысы
role-supervisor = Супервайзер
role-dpo = Дербес деректерді қорғауға жауапты тұлға
role-auditor = Аудитор

## Кіру
login-title = Кіру
login-failed = Пайдаланушы аты, құпиясөз немесе код қате.
login-busy = Кіру әрекеттері тым көп: бірнеше минут күтіп, қайталап көріңіз.
login-username = Пайдаланушы аты
login-password = Құпиясөз
login-totp = Аутентификатор коды
login-submit = Кіру

## Тексеру кезегі
queue-title = Тексеру кезегі
queue-empty = Тексеруді күтіп тұрған іс жоқ.
queue-case = Іс
queue-status = Мәртебе
queue-reasons = Себептер
queue-assigned = Орындаушы
queue-opened = Ашылды
queue-age = Күтуде
queue-sort = Реті
queue-sort-oldest = Алдымен ескілері
queue-sort-newest = Алдымен жаңалары
queue-sort-apply = Көрсету
queue-sort-priority = Алдымен алаяқтық белгілері
queue-filter-all = Барлығы
queue-priority = Басымдық
queue-shown = Көрсетілді
priority-high = Жоғары: алаяқтық белгісі
priority-normal = Қалыпты

## Dashboard
dashboard-title = Шолу
dashboard-window = Соңғы 30 күн (UTC)
dashboard-total = Тексерулер
dashboard-decisions = Күн сайынғы тексерулер шешім бойынша
dashboard-decision-match = Сәйкес
dashboard-decision-no_match = Сәйкес емес
dashboard-decision-review = Тексеруге
dashboard-decision-rejected = Қабылданбады
dashboard-rates = Күн сайынғы жалғандық, қайталану және қолмен тексеру үлесі
dashboard-rate-spoof = Жалғандыққа күдік
dashboard-rate-duplicate = Қайталану
dashboard-rate-review = Тексеруге жіберілді
dashboard-rate-note = Әр баған — күндегі тексерулердің үлесі. Жалғандық: spoof_suspected немесе liveness_inconclusive; қайталану: duplicate_identity немесе document_reused.
dashboard-closed = Күн сайын жабылған істер талдаушылар шешімі бойынша
dashboard-closed-cleared = Ақталды
dashboard-closed-confirmed_fraud = Алаяқтық расталды
dashboard-queue = Қазіргі кезек
dashboard-queue-open = Ашық істер
dashboard-queue-pending = Растауды күтуде
dashboard-queue-oldest = Ең ескі ашық іс
dashboard-none = жоқ
dashboard-overturn = Соңғы 30 күнде жабылған істер бойынша талдаушылардың шешімдері
dashboard-cleared = Ақталды (автоматты белгі жойылды)
dashboard-confirmed = Алаяқтық расталды (белгі қалды)
dashboard-overturn-rate = Жою үлесі
dashboard-unit-days = күн
dashboard-unit-hours = сағ
dashboard-unit-minutes = мин

## Іс
case-title = Іс
case-back = Кезек
case-status = Мәртебе
case-outcome = шешім
case-reasons = Себептер
case-selfie = Селфи
case-selfie-alt = селфидегі бет
case-document = Құжат
case-document-alt = құжаттағы сурет
case-score-similarity = Селфи мен құжаттың ұқсастығы (косинус)
case-score-liveness = Тірілік, P(тірі бет)
case-score-duplicate = Қайталанған бет (косинус)
case-same-face = Бет сәйкес келетін тексеру
case-comments = Түсініктемелер
case-decision = Шешім
case-outcome-label = Нәтиже
case-clear = Таза: өтініш беруші шынайы
case-confirm-fraud = Алаяқтықты растау (супервайзер қажет)
case-comment = Түсініктеме
case-submit = Шешімді жазу
case-notes = Жазбалар
case-notes-empty = Әзірге жазба жоқ.
case-note-label = Жазба
case-note-hint = Тек осы іс туралы: одан тыс дербес деректер жазбаңыз. Жазбалар онбординг жүйесіне жіберілмейді.
case-note-submit = Жазба қосу
case-recapture = Қайта түсіру
case-recapture-hint = Өтініш берушінің суреттерді қайта түсіруін онбординг жүйесінен сұрау. Іс ашық қалады.
case-recapture-submit = Қайта түсіруді сұрау
case-recapture-done = Қайта түсіру сұралды.
case-blocklist-hint = Бұл бетті тыйым тізіміне енгізу: кейінгі тексерулер, кез келген өтініш беруші атынан болса да, blocklisted_face себебімен тексеруге жіберіледі.
case-blocklist-submit = Тыйым тізіміне енгізу
case-allowlist-hint = Бұл екі өтініш беруші — әртүрлі адамдар (мысалы, егіздер): олардың беттері бір-бірінің көшірмесі ретінде енді белгіленбейді.
case-allowlist-submit = Жұпты рұқсат тізіміне енгізу

outcome-cleared = таза
outcome-confirmed_fraud = алаяқтық расталды

## Іс мәртебелері
status-open = Ашық
status-pending_signoff = Бекітуді күтуде
status-closed = Жабық

## Талдаушыларға арналған себеп кодтары
reason-faces_match = Беттер сәйкес
reason-faces_do_not_match = Беттер сәйкес емес
reason-borderline_score = Ұқсастықтың шекаралық бағасы
reason-spoof_suspected = Бетті алмастыру күдігі (ұсыну шабуылы)
reason-liveness_inconclusive = Тірілік анықталмады
reason-duplicate_identity = Бет басқа өтініш берушінің атынан тіркелген
reason-selfie_no_face = Селфиде бет жоқ
reason-selfie_multiple_faces = Селфиде бірнеше бет бар
reason-selfie_face_too_small = Селфидегі бет тым кішкентай
reason-selfie_extreme_pose = Селфиде бас тым бұрылған
reason-selfie_blurry = Селфи бұлыңғыр
reason-document_not_found = Фотода жеке куәлік жоқ
reason-document_no_face = Құжатта бет суреті жоқ
reason-document_face_too_small = Құжаттағы сурет тым кішкентай
reason-document_extreme_pose = Құжат тым қисық бұрышпен түсірілген
reason-document_blurry = Құжат суреті бұлыңғыр
reason-under_review = Талдаушының тексеруінде
reason-document_is_selfie = Құжаттағы сурет — селфидің өзі
reason-document_reused = Құжаттағы сурет басқа өтініш берушіде қолданылған
reason-document_data_mismatch = Құжат деректері өтінішке сәйкес емес
reason-mrz_unreadable = Машинамен оқылатын аймақ оқылмайды (ақпарат үшін)
reason-blocklisted_face = Бет қара тізімде (расталған алаяқтық)
reason-liveness_session_failed = Тірілікті тексеру сәтсіз аяқталды (үш әрекет)
reason-passive_liveness_only = Статикалық селфи: тек пассивті тірілік тексеруі
reason-reference_mismatch = Бет мемлекеттік базадағы эталон суретке сәйкес келмейді
reason-reference_no_face = Мемлекеттік базадағы эталон суретте бір бет жоқ
reason-reference_unusable = Мемлекеттік базадағы эталон сурет жарамсыз (бет кішкентай, бұрылған немесе бұлыңғыр)
reason-reference_document_mismatch = Құжаттағы сурет пен мемлекеттік базадағы эталон сурет — әртүрлі адамдар
reason-document_mismatch = Бет эталон суретке сәйкес, бірақ құжаттағы суретке сәйкес емес
reason-selfie_is_reference = Селфи — мемлекеттік базадағы эталон суреттің өзі

## Сурет жарамсыз болғанда өтініш берушіге кеңестер
hint-selfie_no_face = Бетіңіз көрінбеді. Камераға тура қарап, селфиді қайта түсіріңіз.
hint-selfie_multiple_faces = Кадрда тек сіз болуыңыз керек. Селфиді басқа адамдарсыз қайта түсіріңіз.
hint-selfie_face_too_small = Бетіңіз тым алыс. Бетіңіз кадрдың басым бөлігін алатындай камераны жақынырақ ұстаңыз.
hint-selfie_extreme_pose = Басыңызды бұрмай әрі еңкейтпей, камераға тура қарап, селфиді қайта түсіріңіз.
hint-selfie_blurry = Селфи бұлыңғыр шықты. Жарық жерде камераны қозғалтпай ұстап, қайталаңыз.
hint-document_not_found = Құжатыңыз табылмады. Құжатты тегіс қойып, түгел кадрға сыятындай етіп түсіріңіз.
hint-document_no_face = Құжаттағы суретіңіз көрінбеді. Суретіңіз бар бетті жарқылсыз түсіріңіз.
hint-document_face_too_small = Құжат тым алыс. Құжат кадрды толтыратындай камераны жақынырақ ұстаңыз.
hint-document_extreme_pose = Құжатты қисайтпай, тура түсіріңіз.
hint-document_blurry = Құжат суреті бұлыңғыр. Жарық жерде камераны қозғалтпай ұстап, қайталаңыз.
hint-reference_no_face = Мемлекеттік базадағы суретіңізді пайдалану мүмкін болмады. Кредиторға хабарласыңыз; қайта түсірудің қажеті жоқ.
hint-reference_unusable = Мемлекеттік базадағы суретіңізді салыстыру мүмкін болмады. Кредиторға хабарласыңыз; қайта түсірудің қажеті жоқ.

## Қате беттері
error-title = Қате
error-code = Код
error-details = Толығырақ
error-back = Істер кезегіне оралу

error-missing_field = Міндетті өріс толтырылмаған.
error-empty_part = Форманың бір бөлігі бос.
error-duplicate_field = Өріс екі рет жіберілді.
error-unexpected_field = Формада артық өріс бар.
error-malformed_multipart = Жүктелген деректердің пішімі қате.
error-invalid_meta = Сұраудың метадеректері қате.
error-invalid_reference_source = Эталон суреттің көзі көрсетілмеген немесе қате.
error-invalid_idempotency_key = Идемпотенттілік кілті қате.
error-invalid_body = Форма дұрыс толтырылмаған.
error-invalid_query = Мекенжайдағы параметрлер қате.
error-invalid_request = Сұрау қате.
error-invalid_frames = Жіберілген кадрлар әрекетке жарамайды.
error-liveness_session_not_usable = Тірілікті тексеру сессиясын бұл верификацияға пайдалану мүмкін емес.
error-liveness_session_closed = Тірілікті тексеру сессиясы аяқталды.
error-liveness_session_required = Тірілікті тексеру сессиясы қажет.
error-unauthenticated = Алдымен жүйеге кіріңіз.
error-invalid_credentials = Пайдаланушы аты, құпиясөз немесе код қате.
error-forbidden = Бұл әрекетке рөліңіз рұқсат бермейді.
error-purpose_not_permitted = Рөліңізге бұл мақсатпен жұмыс істеуге рұқсат жоқ.
error-consent_required = Өтініш берушінің келісімі қажет.
error-csrf_failed = Форманың мерзімі өтті немесе ол басқа беттен жіберілді. Бетті жаңартып, қайталаңыз.
error-not_found = Табылмады.
error-method_not_allowed = Бұл мекенжай мұндай сұрау әдісін қабылдамайды.
error-upload_too_slow = Жүктеу тым баяу жүрді.
error-idempotency_key_reused = Бұл идемпотенттілік кілті басқа сұрауда қолданылған.
error-consent_already_withdrawn = Келісім бұрын қайтарылып алынған.
error-case_closed = Іс жабылып қойған.
error-case_not_confirmed_fraud = Қара тізімге тек расталған алаяқтық ретінде жабылған істі енгізуге болады.
error-already_listed = Іс бұл тізімге енгізіліп қойған.
error-case_not_cleared_duplicate = Ақ тізімге тек бұзушылықсыз жабылған қайталану ісін енгізуге болады.
error-audit_chain_broken = Аудит журналы тұтастық тексерісінен өтпеді.
error-payload_too_large = Сұрау тым үлкен.
error-image_too_large = Сурет тым үлкен.
error-unsupported_media_type = Мұндай мазмұн түрі қабылданбайды.
error-unsupported_image_format = Сурет пішіміне қолдау көрсетілмейді.
error-too_many_attempts = Әрекеттер тым көп: бірнеше минут күтіп, қайталаңыз.
error-corrupt_image = Сурет бүлінген.
error-internal_error = Ішкі қате. Ақау журналға жазылды.
error-overloaded = Қызмет бос емес: сәлден соң қайталаңыз.
error-service_unavailable = Қызмет уақытша қолжетімсіз.

## Тыйым және рұқсат тізімдері (супервайзерлер)
lists-title = Тыйым және рұқсат тізімдері
lists-blocklist = Тыйым тізімі
lists-blocklist-hint = Алаяқтығы расталған беттер. Алаяқтық ретінде жабылған істен енгізіледі; үлгілер сияқты шифрланып сақталады.
lists-allowlist = Рұқсат тізімі
lists-allowlist-hint = Әртүрлі адамдар екені белгілі өтініш берушілер жұптары. Таза деп жабылған көшірме ісінен енгізіледі.
lists-empty = Жазба жоқ.
lists-case = Іс
lists-added-by = Кім енгізді
lists-added-at = Қашан
lists-remove = Жою
