#!/usr/bin/env bash
# Regenerates the README's screenshots from the end-to-end tests that take them (real app on
# Xvfb through tauri-driver, real portal, real Chromium), so they show what the code draws
# today. Run it after a visible change, look at docs/screenshots/, commit them.
#   admin-users.png           Admin mode, users after a reset   (tests/tests/admin_app.rs)
#   authenticator-list.png    Authenticator mode's account list (tests/tests/authenticator_app.rs)
#   browser-activate.png      the portal's activation page      (tests/tests/portal_browser.rs)
#   loopcheck-panel-passed.png the Loop check panel after a run (tests/tests/loop_check_panel.rs)
#   authenticator-quick-pick.png, authenticator-tray-menu.png
#                             the quick-pick and the tray menu  (tests/tests/authenticator_at_hand.rs)
set -euo pipefail
cd "$(dirname "$0")/.."
export TWOFOLD_E2E_REQUIRE_TOOLS=1
cargo test -p twofold-e2e --test admin_app -- --exact \
  admin_resets_an_enrolled_user_after_yes_and_the_user_is_shown_a_new_qr_code
cargo test -p twofold-e2e --test authenticator_app -- --exact \
  authenticator_adds_an_account_from_a_pasted_link_and_shows_oathtools_code
cargo test -p twofold-e2e --test portal_browser -- --exact \
  alice_enrolls_from_the_rendered_qr_code_and_signs_in_again_with_a_fresh_code
cargo test -p twofold-e2e --test authenticator_at_hand -- --exact \
  the_shortcut_opens_the_quick_pick_which_types_the_code_the_window_asks_for
shots=(admin-users authenticator-list browser-activate authenticator-quick-pick authenticator-tray-menu)
if [ -f tests/tests/loop_check_panel.rs ]; then
  cargo test -p twofold-e2e --test loop_check_panel
  shots+=(loopcheck-panel-passed)
fi
for shot in "${shots[@]}"; do
  cp "tests/artifacts/$shot.png" "docs/screenshots/$shot.png"
done
ls -l docs/screenshots
