#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, only those that are missing,
# so `make run` and `make test` work on a fresh Debian 12 machine and cost nothing when
# everything is already there.
set -euo pipefail

packages=(
  # desktop app build (Tauri v2 / WebKitGTK), screen capture, webcam
  build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev
  librsvg2-dev libayatana-appindicator3-dev libxdo-dev libclang-dev libv4l-dev
  libpipewire-0.3-dev libgbm-dev
  # running the desktop app headless and its keyring
  webkit2gtk-driver xvfb xauth gnome-keyring libsecret-tools dbus-x11
  # independent tools the tests compare against, and the real browser
  chromium chromium-driver oathtool zbar-tools qrencode imagemagick xclip x11-utils
  # TLS clients and certificates for the portal's TLS tests
  curl openssl
  # typing into gnome-keyring's unlock prompt (the locked-keyring test)
  xdotool
  # a real terminal the quick-pick types a code into (its e2e test)
  xterm
  # typing a code on Wayland: sway (wlroots, headless) with the virtual-keyboard protocol and
  # a Wayland terminal (foot) to type into, weston without that protocol, and wtype itself
  sway foot weston wtype
  # an XEmbed tray panel the same test shows the tray menu in (for the README screenshot)
  trayer
  # real remote desktops behind the portal: nginx auth_request in front of noVNC/websockify on
  # a VNC server, Chromium trusting a test CA (NSS db), and xrdp's PAM stack with the gate hook
  nginx novnc websockify tigervnc-standalone-server libnss3-tools
  # something recognisable on the test VNC desktop (xsetroot colours it, xclock draws on it)
  x11-xserver-utils x11-apps
  xrdp xorgxrdp freerdp2-x11 pamtester
  # Caddy's forward_auth, run with the snippet of docs/DEPLOY.md
  caddy
  # the organisation's directory: a real OpenLDAP slapd started by the LDAP tests, and its client tools
  slapd ldap-utils
  # a real Active Directory: a Samba AD domain controller provisioned by the AD tests
  # (provisioning needs three Recommends that --no-install-recommends leaves out: the AD
  # schema, the directory modules, and the VFS modules whose acl_xattr sets the sysvol ACLs;
  # `ip` brings up the loopback of the DC's network namespace)
  samba samba-ad-provision samba-dsdb-modules samba-vfs-modules iproute2
  # the shared store of several portal servers: a real PostgreSQL started by the store tests
  postgresql
  # the loop check's clock step against a portal whose clock is off (libfaketime on its process)
  faketime
  # `make package` and its test: Debian packages built with dpkg-deb, checked by lintian, the
  # desktop entry and AppStream metainfo validators, and man (lintian reads man pages with it)
  dpkg-dev fakeroot lintian desktop-file-utils appstream man-db
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing missing packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
