#!/usr/bin/env bash
# `make package`: the Debian packages of the two programs, built from this tree without
# debhelper (one source of truth: the files in packaging/ and the clap definitions):
#   twofold-portal_<version>_<arch>.deb  the portal, a system user, /etc/twofold/portal.toml,
#                                        a sandboxed systemd unit, /var/lib/twofold-portal 0700
#   twofold_<version>_<arch>.deb         the desktop app: desktop entry, icons at every size,
#                                        AppStream metainfo
# Both carry man pages and bash/zsh/fish completions generated from the programs themselves
# (their hidden `generate-docs` subcommand) and runtime dependencies from dpkg-shlibdeps.
#
# Usage: scripts/package.sh [--profile release|debug] [--bin-dir DIR] [--out DIR] [--no-build]
#                           [--dev-vendor-key]
#   A release portal is built with the vendor's public license key from
#   TWOFOLD_VENDOR_PUBLIC_KEY; without it only --dev-vendor-key builds one (for trials: it
#   trusts the development key, whose private half is public, and says so).
#   release (default) builds with `cargo build --release`; debug packages the binaries
#   `make build` made, compressed fast (what the package test uses with --no-build and the
#   test's own --bin-dir: it checks the packaging, not the optimiser).
set -euo pipefail
cd "$(dirname "$0")/.."
umask 022

profile=release
out=""
build=1
bin_dir=""
dev_key=0
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --bin-dir) bin_dir="$2"; shift 2 ;;
    --dev-vendor-key) dev_key=1; shift ;;
    *) echo "usage: $0 [--profile release|debug] [--bin-dir DIR] [--out DIR] [--no-build]" >&2; exit 2 ;;
  esac
done
target="${CARGO_TARGET_DIR:-target}"
case "$profile" in
  release) bindir="$target/release"; cargo_profile=(--release); compress=(-Zxz) ;;
  debug) bindir="$target/debug"; cargo_profile=(); compress=(-Zgzip -z1) ;;
  *) echo "package.sh: --profile is release or debug, not $profile" >&2; exit 2 ;;
esac
bindir="${bin_dir:-$bindir}"
out="${out:-$target/package}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if [ "$build" = 1 ]; then
  features=()
  if [ "$profile" = release ] && [ -z "${TWOFOLD_VENDOR_PUBLIC_KEY:-}" ]; then
    if [ "$dev_key" = 0 ]; then
      echo "package.sh: a release portal needs TWOFOLD_VENDOR_PUBLIC_KEY (the vendor's public" >&2
      echo "license key); --dev-vendor-key builds a trial package that trusts the development key" >&2
      exit 2
    fi
    echo "package.sh: NOTE: this portal trusts the development vendor key (trials only)" >&2
    features=(--features twofold-portal/dev-vendor-key)
  fi
  scripts/build-app.sh --ui-only
  cargo build "${cargo_profile[@]}" "${features[@]}" -p twofold-portal -p twofold
fi
for bin in twofold-portal twofold; do
  [ -x "$bindir/$bin" ] || { echo "package.sh: $bindir/$bin is missing (build first)" >&2; exit 1; }
done

version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)"
arch="$(dpkg --print-architecture)"
maintainer="The Twofold developers <maintainers@twofold.dev>"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# stage_common PACKAGE BINARY: the binary (stripped as dh_strip does), its man pages and
# completions, copyright and changelog.
stage_common() {
  local pkg="$1" bin="$2" root="$work/debian/$1"
  install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/man/man1" "$root/usr/share/doc/$pkg"
  install -m 0755 "$bindir/$bin" "$root/usr/bin/$bin"
  strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/$bin"
  local docs="$work/docs-$bin"
  "$bindir/$bin" generate-docs --out "$docs" >/dev/null
  for page in "$docs"/man/*.1; do
    gzip -9n -c "$page" > "$root/usr/share/man/man1/$(basename "$page").gz"
  done
  for dir in bash-completion/completions zsh/vendor-completions fish/vendor_completions.d; do
    install -d "$root/usr/share/$dir"
    install -m 0644 "$docs/$dir"/* "$root/usr/share/$dir/"
  done
  install -m 0644 packaging/copyright "$root/usr/share/doc/$pkg/copyright"
  gzip -9n -c packaging/changelog > "$root/usr/share/doc/$pkg/changelog.gz"
}

# shlibs_of PACKAGE: the Depends dpkg-shlibdeps derives from the libraries its binary links
# (it reads a source tree's layout: debian/control, the package staged in debian/PACKAGE).
shlibs_of() {
  printf 'Source: twofold\n\nPackage: %s\nArchitecture: any\n' "$1" > "$work/debian/control"
  (cd "$work" && dpkg-shlibdeps -O -e "debian/$1/usr/bin/$2") | sed -n 's/^shlibs:Depends=//p'
}

# finish PACKAGE SECTION DEPENDS RECOMMENDS DESCRIPTION: control file, md5sums, the .deb.
finish() {
  local pkg="$1" section="$2" depends="$3" recommends="$4" description="$5" root="$work/debian/$1"
  local size
  size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
  {
    echo "Package: $pkg"
    echo "Version: $version"
    echo "Architecture: $arch"
    echo "Maintainer: $maintainer"
    echo "Installed-Size: $size"
    echo "Depends: $depends"
    [ -n "$recommends" ] && echo "Recommends: $recommends"
    echo "Section: $section"
    echo "Priority: optional"
    echo "Homepage: https://twofold.dev/"
    echo "Description: $description"
  } > "$root/DEBIAN/control"
  (cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) \
    > "$root/DEBIAN/md5sums"
  find "$root" -type d -exec chmod 0755 {} +
  chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
  dpkg-deb --root-owner-group "${compress[@]}" --build "$root" "$out/${pkg}_${version}_${arch}.deb" >/dev/null
  printf '%-44s %6s KiB installed, %6s KiB download\n' "${pkg}_${version}_${arch}.deb" "$size" \
    "$(( $(stat -c %s "$out/${pkg}_${version}_${arch}.deb") / 1024 ))"
}

# --- twofold-portal --------------------------------------------------------------------
root="$work/debian/twofold-portal"
stage_common twofold-portal twofold-portal
install -D -m 0644 packaging/portal/twofold-portal.service "$root/lib/systemd/system/twofold-portal.service"
install -D -m 0644 packaging/portal/portal.toml "$root/etc/twofold/portal.toml"
gzip -9n -c docs/DEPLOY.md > "$root/usr/share/doc/twofold-portal/DEPLOY.md.gz"
for script in postinst prerm postrm; do
  install -m 0755 "packaging/portal/$script" "$root/DEBIAN/$script"
done
echo /etc/twofold/portal.toml > "$root/DEBIAN/conffiles"
chmod 0644 "$root/DEBIAN/conffiles"
finish twofold-portal admin "$(shlibs_of twofold-portal twofold-portal), adduser" "" \
"two-factor sign-in for remote-desktop web portals
 The Twofold portal signs users in with their password and a TOTP code from
 any authenticator app, enrolls them with a QR code at their first sign-in,
 answers the forward-auth subrequests of nginx, Traefik and Caddy in front of
 web remote desktops, and refuses password-only RDP access through a PAM hook.
 Users and groups come from its own directory or from LDAP / Active Directory;
 state lives in SQLite or in PostgreSQL shared by several servers.
 .
 This package runs the portal as the twofold-portal system service, with its
 settings in /etc/twofold/portal.toml and its state in /var/lib/twofold-portal."

# --- twofold (desktop app) -------------------------------------------------------------
root="$work/debian/twofold"
stage_common twofold twofold
install -D -m 0644 packaging/desktop/dev.twofold.desktop.desktop \
  "$root/usr/share/applications/dev.twofold.desktop.desktop"
install -D -m 0644 packaging/desktop/dev.twofold.desktop.metainfo.xml \
  "$root/usr/share/metainfo/dev.twofold.desktop.metainfo.xml"
for px in 16 22 24 32 48 64 128 256 512; do
  dir="$root/usr/share/icons/hicolor/${px}x${px}/apps"
  install -d "$dir"
  # From the 512 px rendering of logo.svg (scripts/make-icons.sh): ImageMagick reads SVG only
  # through a delegate that a build machine may lack.
  /usr/bin/convert icons/icon.png -resize "${px}x${px}" -strip "PNG32:$dir/dev.twofold.desktop.png"
done
install -D -m 0644 icons/logo.svg "$root/usr/share/icons/hicolor/scalable/apps/dev.twofold.desktop.svg"
install -D -m 0644 packaging/desktop/lintian-overrides "$root/usr/share/lintian/overrides/twofold"
# The tray icon's library is opened at run time (dlopen), so dpkg-shlibdeps cannot see it.
finish twofold utils "$(shlibs_of twofold twofold), libayatana-appindicator3-1 | libappindicator3-1" "gnome-keyring | keepassxc" \
"two-factor codes on the desktop, and a portal's 2FA administration
 Twofold is the desktop side of the Twofold two-factor sign-in.
 .
 Authenticator mode is for people without a phone: accounts come from a QR
 code on the screen, the webcam, an image file, the clipboard or another
 app's export; secrets stay in the system keyring (Secret Service); codes are
 those every phone app computes. Accounts export to Aegis, to otpauth URIs and
 to Google Authenticator transfer codes.
 .
 Admin mode administers a Twofold portal: the two-factor switch and license,
 the users and groups that need a code, resetting users, and the activity log.
 The loop check drives the whole enroll-and-sign-in loop for testers."

echo "packages in $out"
