//! Fuzzes the `otpauth://` parser (`OtpAuth::parse`), the one every scanned QR code, pasted
//! URI and URI-list import goes through.
//!
//! Beyond "never panics", it checks the round trip the parser's docs promise: whatever parses
//! must come back unchanged from its own strict output (`to_uri`), and that output must be a
//! fixed point. An account that changes on the way out would be stored, shown or exported as
//! something other than what the user scanned. Parsed accounts must also produce a code (or
//! an error) without panicking, whatever period, counter or digits the URI carried.
//!
//! F1 (an account name holding a colon, without an issuer) is fixed (fuzz/README.md) and
//! checked like every other input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use twofold_core::OtpAuth;

fuzz_target!(|data: &[u8]| {
    // The parser takes `&str`; callers get text from QR decoders and files already as UTF-8.
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(auth) = OtpAuth::parse(text) else { return };
    // A fixed instant: codes must come out of any parsed parameters without a panic.
    let _ = auth.code_at(1_700_000_000);
    let _ = auth.display_name();

    let uri = auth.to_uri();
    let again = match OtpAuth::parse(&uri) {
        Ok(again) => again,
        Err(e) => panic!("to_uri() output does not parse ({e}): {}", uri.as_str()),
    };
    assert_eq!(again, auth, "round trip changed the account: {:?} -> {}", text, uri.as_str());
    assert_eq!(again.to_uri().as_str(), uri.as_str(), "to_uri() is not a fixed point");
});
