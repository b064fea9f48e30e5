//! A plain list of `otpauth://` URIs, one per line: what Aegis, 2FAS, Ente Auth, KeePassXC and
//! Twofold's own `uri_list` importer read. Every secret is in clear text.

use zeroize::Zeroizing;

use crate::uri::OtpAuth;

/// The accounts as `otpauth://` URIs, one per line, in order.
pub fn export(accounts: &[OtpAuth]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::new());
    for account in accounts {
        out.push_str(&account.to_uri());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::detect_and_import;

    #[test]
    fn a_uri_list_reads_back_through_the_importer() {
        let uris = [
            "otpauth://totp/GitHub:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
            "otpauth://hotp/VPN:bob?secret=MFRGGZDFMZTWQ2LK&issuer=VPN&counter=7&digits=8",
        ];
        let accounts: Vec<OtpAuth> = uris.iter().map(|u| OtpAuth::parse(u).unwrap()).collect();
        let text = export(&accounts);
        assert_eq!(text.lines().count(), 2);
        let back = detect_and_import(text.as_bytes(), None).unwrap();
        assert_eq!(back.accounts, accounts);
    }
}
