//! The enroll-and-sign-in loop as a person does it, in a real headless Chromium: type the
//! password, read the QR code off the rendered page (an element screenshot decoded by
//! `zbarimg`), type the code `oathtool` computes, sign out, come back with a fresh code.
//! Screenshots of each page land in `tests/artifacts/`. HTTP-level details are
//! `portal_interop.rs`'s job.

use twofold_e2e::browser::{Browser, CHROMEDRIVER, CHROMIUM};
use twofold_e2e::clock::{now_unix, step_after, step_of};
use twofold_e2e::{oathtool_totp, tools_present, zbar_decode, OtpauthUri, Portal};

const ALICE_PW: &str = "alice-correct-horse";

/// Waits until the `<img id="qr">` has loaded a picture, so that its screenshot shows it.
async fn wait_for_qr_image(browser: &Browser) {
    browser.find("#qr").await;
    browser
        .wait_until(
            "(() => { const i = document.getElementById('qr'); return i.complete && i.naturalWidth > 0; })()",
            "the QR image loads",
        )
        .await;
}

async fn sign_in_with_password(browser: &Browser, portal: &Portal) {
    browser.goto(&format!("{}/login", portal.base)).await;
    browser.type_into("input[name=username]", "alice").await;
    browser.type_into("input[name=password]", ALICE_PW).await;
    browser.click("#sign-in").await;
}

async fn assert_home_shows_alice(browser: &Browser) {
    browser.wait_for_path("/").await;
    let who = browser.find("#signed-in-as").await.text().await.expect("signed-in-as text");
    assert_eq!(who, "alice", "home page names the wrong user");
    browser.find("#sign-out").await;
}

#[tokio::test]
async fn alice_enrolls_from_the_rendered_qr_code_and_signs_in_again_with_a_fresh_code() {
    let test = "alice_enrolls_from_the_rendered_qr_code_and_signs_in_again_with_a_fresh_code";
    if !tools_present(test, &["oathtool", "zbarimg", CHROMEDRIVER, CHROMIUM]) {
        return;
    }
    let portal = Portal::start().await;
    portal.cli(&["user", "add", "alice", "--password-stdin"], Some(ALICE_PW));
    portal.cli(&["principals", "add", "user:alice"], None);
    portal.cli(&["2fa", "on"], None);
    let browser = Browser::start().await;

    browser.goto(&format!("{}/login", portal.base)).await;
    browser.find("#sign-in").await;
    println!("login page: {}", browser.save_screenshot("browser-login").await.display());
    sign_in_with_password(&browser, &portal).await;

    browser.wait_for_path("/activate").await;
    wait_for_qr_image(&browser).await;
    println!("activation page: {}", browser.save_screenshot("browser-activate").await.display());
    let qr_png = browser.element_png("#qr").await;
    let qr_path = twofold_e2e::artifacts::artifact_path("browser-qr-element.png");
    std::fs::write(&qr_path, &qr_png).expect("save QR element screenshot");
    println!("QR as rendered: {}", qr_path.display());
    let symbols = zbar_decode(&qr_png);
    assert_eq!(
        symbols.len(),
        1,
        "zbarimg on the rendered QR found {symbols:?} ({})",
        qr_path.display()
    );
    let uri =
        OtpauthUri::parse(&symbols[0]).unwrap_or_else(|| panic!("not otpauth: {:?}", symbols[0]));
    assert_eq!(uri.label, "Twofold:alice");
    let secret = uri.param("secret").expect("secret in the QR URI").to_string();
    let typed_key = browser.find("#secret-key").await.text().await.expect("secret-key text");
    assert_eq!(typed_key.replace(' ', ""), secret, "the key shown as text differs from the QR's");

    let activated_at = now_unix();
    browser.type_into("input[name=code]", &oathtool_totp(&secret, activated_at)).await;
    browser.click("#activate").await;
    assert_home_shows_alice(&browser).await;
    println!("home page: {}", browser.save_screenshot("browser-home").await.display());

    browser.click("#sign-out").await;
    browser.wait_for_path("/login").await;
    sign_in_with_password(&browser, &portal).await;
    browser.wait_for_path("/verify").await;
    // The phone would show the same code until the step ends, and the portal refuses a code
    // from a step it already accepted: wait for the next step (at most 30 s) like a user would.
    if step_of(now_unix()) <= step_of(activated_at) {
        step_after(step_of(activated_at)).await;
    }
    browser.type_into("input[name=code]", &oathtool_totp(&secret, now_unix())).await;
    browser.click("#verify").await;
    assert_home_shows_alice(&browser).await;
    println!(
        "home page after verification: {}",
        browser.save_screenshot("browser-home-again").await.display()
    );

    browser.close().await;
}
