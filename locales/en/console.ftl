# The analysts' console and the applicant-facing retake hints, in English (the fallback catalogue).
# Keys are the same in every language (a unit test in src/i18n checks it). Reason, status, role and error keys end
# in the stable machine code they translate.

## Page frame and navigation
console-name = faceverify console
console-banner = faceverify · fraud review
nav-sign-out = Sign out
nav-language = Language
nav-language-auto = Browser default
nav-apply = Apply
nav-queue = Review queue
nav-dashboard = Dashboard
nav-lists = Lists

role-onboarding = Onboarding service
role-fraud_analyst = Fraud analyst
role-supervisor = Supervisor
role-dpo = Data protection officer
role-auditor = Auditor

## Sign-in
login-title = Sign in
login-failed = Invalid username, password or code.
login-busy = Too many sign-in attempts: wait a few minutes, then try again.
login-username = Username
login-password = Password
login-totp = Authenticator code
login-submit = Sign in

## Review queue
queue-title = Review queue
queue-empty = No cases waiting.
queue-case = Case
queue-status = Status
queue-reasons = Reasons
queue-assigned = Assigned
queue-opened = Opened
queue-age = Waiting
queue-sort = Order
queue-sort-oldest = Oldest first
queue-sort-newest = Newest first
queue-sort-apply = Show
queue-sort-priority = Fraud signals first
queue-filter-all = All
queue-priority = Priority
queue-shown = Shown
priority-high = High: fraud signal
priority-normal = Normal

## Dashboard
dashboard-title = Dashboard
dashboard-window = Last 30 days (UTC)
dashboard-total = Verifications
dashboard-decisions = Verifications per day by decision
dashboard-decision-match = Match
dashboard-decision-no_match = No match
dashboard-decision-review = Review
dashboard-decision-rejected = Rejected
dashboard-rates = Spoof, duplicate and review rates per day
dashboard-rate-spoof = Spoof suspected
dashboard-rate-duplicate = Duplicate
dashboard-rate-review = Sent to review
dashboard-rate-note = Each bar is a share of the day's verifications. Spoof: spoof_suspected or liveness_inconclusive; duplicate: duplicate_identity or document_reused.
dashboard-closed = Cases closed per day by the analysts' decision
dashboard-closed-cleared = Cleared
dashboard-closed-confirmed_fraud = Fraud confirmed
dashboard-queue = Queue now
dashboard-queue-open = Open cases
dashboard-queue-pending = Awaiting sign-off
dashboard-queue-oldest = Oldest open case
dashboard-none = none
dashboard-overturn = Analysts' decisions on cases closed in the last 30 days
dashboard-cleared = Cleared (the automatic flag overturned)
dashboard-confirmed = Fraud confirmed (the flag upheld)
dashboard-overturn-rate = Overturn rate
dashboard-unit-days = d
dashboard-unit-hours = h
dashboard-unit-minutes = min

## A case
case-title = Case
case-back = Queue
case-status = Status
case-outcome = outcome
case-reasons = Reasons
case-selfie = Selfie
case-selfie-alt = selfie face
case-document = Document
case-document-alt = document portrait
case-score-similarity = Selfie vs document (cosine)
case-score-liveness = Liveness, P(real)
case-score-duplicate = Duplicate face (cosine)
case-same-face = Same face as verification
case-comments = Comments
case-decision = Decision
case-outcome-label = Outcome
case-clear = Clear: genuine applicant
case-confirm-fraud = Confirm fraud (needs a supervisor)
case-comment = Comment
case-submit = Record decision
case-notes = Notes
case-notes-empty = No notes yet.
case-note-label = Note
case-note-hint = About this case only: no personal data beyond it. Notes are never sent to the onboarding flow.
case-note-submit = Add note
case-recapture = New capture
case-recapture-hint = Ask the onboarding flow to have the applicant take the photos again. The case stays open.
case-recapture-submit = Ask for a new capture
case-recapture-done = A new capture was requested.
case-blocklist-hint = Put this face on the blocklist: later verifications showing it, under any applicant, go to review as blocklisted_face.
case-blocklist-submit = Add to blocklist
case-allowlist-hint = These two applicants are different people (for example twins): their faces will not be flagged as duplicates of each other again.
case-allowlist-submit = Add pair to allowlist

outcome-cleared = cleared
outcome-confirmed_fraud = fraud confirmed

## Case statuses
status-open = Open
status-pending_signoff = Awaiting sign-off
status-closed = Closed

## Reason codes as analysts read them
reason-faces_match = Faces match
reason-faces_do_not_match = Faces do not match
reason-borderline_score = Borderline similarity score
reason-spoof_suspected = Spoof suspected (presentation attack)
reason-liveness_inconclusive = Liveness inconclusive
reason-duplicate_identity = Face already enrolled by another applicant
reason-selfie_no_face = No face in the selfie
reason-selfie_multiple_faces = Several faces in the selfie
reason-selfie_face_too_small = Face too small in the selfie
reason-selfie_extreme_pose = Head turned too far in the selfie
reason-selfie_blurry = Selfie is blurry
reason-document_not_found = No identity document in the photo
reason-document_no_face = No portrait on the document
reason-document_face_too_small = Document portrait too small
reason-document_extreme_pose = Document photographed at a steep angle
reason-document_blurry = Document photo is blurry
reason-under_review = Under review by an analyst
reason-document_is_selfie = Document portrait is the selfie itself
reason-document_reused = Document portrait used by another applicant
reason-document_data_mismatch = Document data contradict the application
reason-mrz_unreadable = Machine-readable zone unreadable (informational)
reason-blocklisted_face = Face on the blocklist (confirmed fraud)
reason-liveness_session_failed = Liveness session failed (three attempts)
reason-passive_liveness_only = Still selfie: passive liveness only
reason-reference_mismatch = Live face does not match the state reference photo
reason-reference_no_face = No single face in the state reference photo
reason-reference_unusable = State reference photo unusable (small, turned or blurred face)
reason-reference_document_mismatch = Document portrait and state reference photo are different people
reason-document_mismatch = Live face matches the reference photo but not the document portrait
reason-selfie_is_reference = Selfie is the state reference photo itself

## Retake hints: what the applicant is asked to do when a photo cannot be used
hint-selfie_no_face = We could not see your face. Take the selfie again, looking straight at the camera.
hint-selfie_multiple_faces = Only you should be in the picture. Retake the selfie with no one else in the frame.
hint-selfie_face_too_small = Your face is too far away. Hold the camera closer so that your face fills most of the frame.
hint-selfie_extreme_pose = Look straight at the camera, without turning or tilting your head, and retake the selfie.
hint-selfie_blurry = The selfie is blurry. Hold the camera still in good light and try again.
hint-document_not_found = We could not find your identity document. Photograph the whole document, lying flat and fully in the frame.
hint-document_no_face = We could not see the photo on your document. Photograph the page with your photo, without glare.
hint-document_face_too_small = The document is too far away. Hold the camera closer so that the document fills the frame.
hint-document_extreme_pose = Photograph the document straight on, not at an angle.
hint-document_blurry = The document photo is blurry. Hold the camera still in good light and try again.
hint-reference_no_face = We could not use your photo from the state database. Please contact the lender; there is nothing to retake.
hint-reference_unusable = Your photo from the state database could not be compared. Please contact the lender; there is nothing to retake.

## Error pages
error-title = Error
error-code = Code
error-details = Details
error-back = Back to the case queue

error-missing_field = A required field is missing.
error-empty_part = A part of the form is empty.
error-duplicate_field = A field was sent twice.
error-unexpected_field = The form has an unexpected field.
error-malformed_multipart = The upload is malformed.
error-invalid_meta = The request metadata are invalid.
error-invalid_reference_source = The reference photo's source is missing or invalid.
error-invalid_idempotency_key = The idempotency key is invalid.
error-invalid_body = The form does not have the expected fields.
error-invalid_query = The address has invalid parameters.
error-invalid_request = The request is invalid.
error-invalid_frames = The frames sent cannot make an attempt.
error-liveness_session_not_usable = The liveness session cannot be used for this verification.
error-liveness_session_closed = The liveness session has ended.
error-liveness_session_required = A liveness session is required.
error-unauthenticated = Sign in first.
error-invalid_credentials = Invalid username, password or code.
error-forbidden = Your role may not do this.
error-purpose_not_permitted = Your role may not work for this purpose.
error-consent_required = The applicant's consent is required.
error-csrf_failed = The form has expired or came from another page. Reload the page and try again.
error-not_found = Not found.
error-method_not_allowed = This address does not accept this method.
error-upload_too_slow = The upload was too slow.
error-idempotency_key_reused = This idempotency key was used for another request.
error-consent_already_withdrawn = Consent has already been withdrawn.
error-case_closed = The case is already closed.
error-case_not_confirmed_fraud = Only a case closed as confirmed fraud can be put on the blocklist.
error-already_listed = The case is already on that list.
error-case_not_cleared_duplicate = Only a duplicate case closed as cleared can be put on the allowlist.
error-audit_chain_broken = The audit log failed its integrity check.
error-payload_too_large = The request is too large.
error-image_too_large = The image is too large.
error-unsupported_media_type = This content type is not accepted.
error-unsupported_image_format = This image format is not supported.
error-too_many_attempts = Too many attempts: wait a few minutes, then try again.
error-corrupt_image = The image is damaged.
error-internal_error = Internal error. It has been logged.
error-overloaded = The service is busy: try again shortly.
error-service_unavailable = The service is temporarily unavailable.

## Block and allow lists (supervisors)
lists-title = Block and allow lists
lists-blocklist = Blocklist
lists-blocklist-hint = Faces confirmed as fraud. Added from a case closed as confirmed fraud; sealed like templates.
lists-allowlist = Allowlist
lists-allowlist-hint = Pairs of applicants known to be different people. Added from a cleared duplicate case.
lists-empty = No entries.
lists-case = Case
lists-added-by = Added by
lists-added-at = Added at
lists-remove = Remove
