# The applicant's capture page (/capture/{session_id}), in English. Keys start with capture-; the same keys are in
# ru/capture.ftl and kk/capture.ftl (the catalogue tests in src/i18n check it).

capture-title = Liveness check
capture-intro = We will check that it is really you in front of the camera. Allow access to the camera when your browser asks.
capture-noscript = This page needs JavaScript to use the camera.
capture-loading = Preparing the check…
capture-camera-request = Allow access to the camera to continue.
capture-ready = Place your face in the frame and look straight at the camera. The check starts in a moment.
capture-start = Start
capture-look-straight = Look straight at the camera and keep still
capture-action-turn_left = Turn your head to the left
capture-action-turn_right = Turn your head to the right
capture-action-look_up = Tilt your head up
capture-action-look_down = Tilt your head down
capture-centre = Return to centre
capture-uploading = Checking the recording…
capture-live = Done: the check is complete. You can close this page.
capture-retry = The check did not succeed. Make sure your face is well lit and fully in the frame, and follow the instructions on the screen.
capture-retry-button = Try again
capture-attempts-left = Attempts left:
capture-failed = The check failed and no attempts are left. Contact the organisation that sent you the link.
capture-error-camera-denied = Access to the camera was denied. Allow the camera for this site in your browser's settings, then reload the page.
capture-error-no-camera = No camera was found on this device.
capture-error-camera = The camera could not be started. Close other apps that use it, then reload the page.
capture-error-unsupported = This browser cannot use the camera here. Open the link in an up-to-date browser.
capture-error-link = The link is incomplete or no longer valid. Open the link you received again.
capture-error-not-found = This check does not exist. Ask for a new link.
capture-error-expired = This check has expired or is already finished. Ask for a new link.
capture-error-network = Connection problem. Check your internet connection and try again.
capture-error-server = The check could not be completed. Please try again later.
