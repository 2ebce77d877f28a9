# Консоль аналитиков и подсказки заявителю о повторной съёмке, на русском.
# Ключи те же, что в en/console.ftl (это проверяет модульный тест в src/i18n).

## Рамка страницы и навигация
console-name = консоль faceverify
console-banner = faceverify · антифрод-проверка
nav-sign-out = Выйти
nav-language = Язык
nav-language-auto = Как в браузере
nav-apply = Применить
nav-queue = Очередь проверки
nav-dashboard = Сводка
nav-lists = Списки

role-onboarding = Сервис онбординга
role-fraud_analyst = Антифрод-аналитик
role-supervisor = Супервайзер
role-dpo = Ответственный за защиту персональных данных
role-auditor = Аудитор

## Вход
login-title = Вход
login-failed = Неверное имя пользователя, пароль или код.
login-busy = Слишком много попыток входа: подождите несколько минут и повторите.
login-username = Имя пользователя
login-password = Пароль
login-totp = Код из приложения-аутентификатора
login-submit = Войти

## Очередь проверки
queue-title = Очередь проверки
queue-empty = Нет дел, ожидающих проверки.
queue-case = Дело
queue-status = Статус
queue-reasons = Причины
queue-assigned = Исполнитель
queue-opened = Открыто
queue-age = Ожидает
queue-sort = Порядок
queue-sort-oldest = Сначала старые
queue-sort-newest = Сначала новые
queue-sort-apply = Показать
queue-sort-priority = Сначала признаки мошенничества
queue-filter-all = Все
queue-priority = Приоритет
queue-shown = Показано
priority-high = Высокий: признак мошенничества
priority-normal = Обычный

## Dashboard
dashboard-title = Сводка
dashboard-window = Последние 30 дней (UTC)
dashboard-total = Проверок
dashboard-decisions = Проверки по дням и решениям
dashboard-decision-match = Совпадение
dashboard-decision-no_match = Не совпадает
dashboard-decision-review = На проверку
dashboard-decision-rejected = Отклонено
dashboard-rates = Доля подделок, дубликатов и ручных проверок по дням
dashboard-rate-spoof = Подозрение на подделку
dashboard-rate-duplicate = Дубликат
dashboard-rate-review = Отправлено на проверку
dashboard-rate-note = Каждый столбец — доля проверок за день. Подделка: spoof_suspected или liveness_inconclusive; дубликат: duplicate_identity или document_reused.
dashboard-closed = Закрытые дела по дням и решению аналитиков
dashboard-closed-cleared = Снято
dashboard-closed-confirmed_fraud = Мошенничество подтверждено
dashboard-queue = Очередь сейчас
dashboard-queue-open = Открытые дела
dashboard-queue-pending = Ждут подтверждения
dashboard-queue-oldest = Самое старое открытое дело
dashboard-none = нет
dashboard-overturn = Решения аналитиков по делам, закрытым за 30 дней
dashboard-cleared = Снято (автоматическая отметка отменена)
dashboard-confirmed = Мошенничество подтверждено (отметка оставлена)
dashboard-overturn-rate = Доля отмен
dashboard-unit-days = д
dashboard-unit-hours = ч
dashboard-unit-minutes = мин

## Дело
case-title = Дело
case-back = Очередь
case-status = Статус
case-outcome = решение
case-reasons = Причины
case-selfie = Селфи
case-selfie-alt = лицо на селфи
case-document = Документ
case-document-alt = фото в документе
case-score-similarity = Сходство селфи и документа (косинус)
case-score-liveness = Живость, P(живое лицо)
case-score-duplicate = Повтор лица (косинус)
case-same-face = То же лицо, что в проверке
case-comments = Комментарии
case-decision = Решение
case-outcome-label = Итог
case-clear = Чисто: заявитель подлинный
case-confirm-fraud = Подтвердить мошенничество (нужен супервайзер)
case-comment = Комментарий
case-submit = Записать решение
case-notes = Заметки
case-notes-empty = Заметок пока нет.
case-note-label = Заметка
case-note-hint = Только о данном деле: никаких персональных данных сверх него. Заметки не передаются в систему онбординга.
case-note-submit = Добавить заметку
case-recapture = Повторная съёмка
case-recapture-hint = Попросить систему онбординга, чтобы заявитель снова сделал фотографии. Дело остаётся открытым.
case-recapture-submit = Запросить повторную съёмку
case-recapture-done = Повторная съёмка запрошена.
case-blocklist-hint = Внести это лицо в стоп-лист: последующие проверки с ним, под любым заявителем, уйдут на проверку с причиной blocklisted_face.
case-blocklist-submit = Внести в стоп-лист
case-allowlist-hint = Эти два заявителя — разные люди (например, близнецы): их лица больше не будут отмечаться как дубликаты друг друга.
case-allowlist-submit = Внести пару в белый список

outcome-cleared = чисто
outcome-confirmed_fraud = мошенничество подтверждено

## Статусы дел
status-open = Открыто
status-pending_signoff = Ожидает утверждения
status-closed = Закрыто

## Коды причин для аналитиков
reason-faces_match = Лица совпадают
reason-faces_do_not_match = Лица не совпадают
reason-borderline_score = Пограничная оценка сходства
reason-spoof_suspected = Подозрение на подмену лица (атака предъявления)
reason-liveness_inconclusive = Живость не установлена
reason-duplicate_identity = Лицо уже зарегистрировано у другого заявителя
reason-selfie_no_face = На селфи нет лица
reason-selfie_multiple_faces = На селфи несколько лиц
reason-selfie_face_too_small = Лицо на селфи слишком мелкое
reason-selfie_extreme_pose = На селфи голова сильно повёрнута
reason-selfie_blurry = Селфи размыто
reason-document_not_found = На фото нет удостоверения личности
reason-document_no_face = На документе нет фото лица
reason-document_face_too_small = Фото в документе слишком мелкое
reason-document_extreme_pose = Документ снят под сильным углом
reason-document_blurry = Фото документа размыто
reason-under_review = На проверке у аналитика
reason-document_is_selfie = Фото в документе — это само селфи
reason-document_reused = Фото в документе уже использовано другим заявителем
reason-document_data_mismatch = Данные документа не совпадают с заявкой
reason-mrz_unreadable = Машиночитаемая зона не читается (для сведения)
reason-blocklisted_face = Лицо в чёрном списке (подтверждённое мошенничество)
reason-liveness_session_failed = Проверка живости не пройдена (три попытки)
reason-passive_liveness_only = Статичное селфи: только пассивная проверка живости
reason-reference_mismatch = Лицо не совпадает с эталонным фото из госбазы
reason-reference_no_face = На эталонном фото из госбазы нет одного лица
reason-reference_unusable = Эталонное фото из госбазы непригодно (лицо мелкое, повёрнуто или размыто)
reason-reference_document_mismatch = Фото в документе и эталонное фото из госбазы — разные люди
reason-document_mismatch = Лицо совпадает с эталонным фото, но не с фото в документе
reason-selfie_is_reference = Селфи — это само эталонное фото из госбазы

## Подсказки заявителю, когда снимок непригоден
hint-selfie_no_face = Мы не видим вашего лица. Сделайте селфи ещё раз, глядя прямо в камеру.
hint-selfie_multiple_faces = В кадре должны быть только вы. Сделайте селфи ещё раз без посторонних в кадре.
hint-selfie_face_too_small = Лицо слишком далеко. Поднесите камеру ближе, чтобы лицо занимало большую часть кадра.
hint-selfie_extreme_pose = Смотрите прямо в камеру, не поворачивая и не наклоняя голову, и сделайте селфи ещё раз.
hint-selfie_blurry = Селфи получилось размытым. Держите камеру неподвижно при хорошем освещении и повторите.
hint-document_not_found = Мы не нашли документ. Сфотографируйте документ целиком: он должен лежать ровно и полностью помещаться в кадр.
hint-document_no_face = Не видно фотографии в документе. Сфотографируйте страницу с вашим фото, без бликов.
hint-document_face_too_small = Документ слишком далеко. Поднесите камеру ближе, чтобы документ заполнил кадр.
hint-document_extreme_pose = Снимайте документ прямо, а не под углом.
hint-document_blurry = Фото документа размыто. Держите камеру неподвижно при хорошем освещении и повторите.
hint-reference_no_face = Не удалось использовать ваше фото из государственной базы. Обратитесь к кредитору; переснимать ничего не нужно.
hint-reference_unusable = Не удалось сравнить ваше фото из государственной базы. Обратитесь к кредитору; переснимать ничего не нужно.

## Страницы ошибок
error-title = Ошибка
error-code = Код
error-details = Подробности
error-back = Вернуться к очереди дел

error-missing_field = Не заполнено обязательное поле.
error-empty_part = Часть формы пуста.
error-duplicate_field = Поле отправлено дважды.
error-unexpected_field = В форме есть лишнее поле.
error-malformed_multipart = Загруженные данные имеют неверный формат.
error-invalid_meta = Метаданные запроса неверны.
error-invalid_reference_source = Источник эталонного фото не указан или указан неверно.
error-invalid_idempotency_key = Неверный ключ идемпотентности.
error-invalid_body = Форма заполнена неверно.
error-invalid_query = Неверные параметры в адресе.
error-invalid_request = Неверный запрос.
error-invalid_frames = Присланные кадры не подходят для попытки.
error-liveness_session_not_usable = Сессию проверки живости нельзя использовать для этой верификации.
error-liveness_session_closed = Сессия проверки живости завершена.
error-liveness_session_required = Требуется сессия проверки живости.
error-unauthenticated = Сначала войдите в систему.
error-invalid_credentials = Неверное имя пользователя, пароль или код.
error-forbidden = Вашей роли это действие не разрешено.
error-purpose_not_permitted = Вашей роли не разрешена работа с этой целью.
error-consent_required = Требуется согласие заявителя.
error-csrf_failed = Форма устарела или отправлена с другой страницы. Обновите страницу и повторите.
error-not_found = Не найдено.
error-method_not_allowed = Этот адрес не поддерживает такой метод запроса.
error-upload_too_slow = Загрузка шла слишком медленно.
error-idempotency_key_reused = Ключ идемпотентности уже использован для другого запроса.
error-consent_already_withdrawn = Согласие уже отозвано.
error-case_closed = Дело уже закрыто.
error-case_not_confirmed_fraud = В чёрный список можно внести только дело, закрытое как подтверждённое мошенничество.
error-already_listed = Дело уже внесено в этот список.
error-case_not_cleared_duplicate = В белый список можно внести только дело о дубликате, закрытое без нарушений.
error-audit_chain_broken = Журнал аудита не прошёл проверку целостности.
error-payload_too_large = Запрос слишком большой.
error-image_too_large = Изображение слишком большое.
error-unsupported_media_type = Такой тип содержимого не поддерживается.
error-unsupported_image_format = Формат изображения не поддерживается.
error-too_many_attempts = Слишком много попыток: подождите несколько минут и повторите.
error-corrupt_image = Изображение повреждено.
error-internal_error = Внутренняя ошибка. Сбой записан в журнал.
error-overloaded = Сервис перегружен: повторите чуть позже.
error-service_unavailable = Сервис временно недоступен.

## Стоп-лист и белый список (супервайзеры)
lists-title = Стоп-лист и белый список
lists-blocklist = Стоп-лист
lists-blocklist-hint = Лица, мошенничество которых подтверждено. Вносятся из дела, закрытого как мошенничество; хранятся зашифрованными, как шаблоны.
lists-allowlist = Белый список
lists-allowlist-hint = Пары заявителей, о которых известно, что это разные люди. Вносятся из дела о дубликате, закрытого как чистое.
lists-empty = Записей нет.
lists-case = Дело
lists-added-by = Кто внёс
lists-added-at = Когда
lists-remove = Удалить
