#!/usr/bin/env bash
# test.sh: Warden's one test command, for developers and CI alike.
#
# As root it first installs what the tests need and the machine lacks, from
# Debian's packages: the aws CLI (awscli) and a PostgreSQL server on
# 127.0.0.1:5432 with a database "test" that user postgres reaches with trust
# auth. Then it runs go vet and the whole test suite with the race detector.
# It says nothing about what is already there, lists every test as it ends,
# writes the console's screenshots to test-output/screenshots, and exits
# non-zero on any failure.
#
# Environment:
#   WARDEN_TEST_POSTGRES   DSN of the PostgreSQL the tests use
#                          (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable);
#                          set it to skip the local PostgreSQL setup
#   GOTESTFLAGS            extra flags for go test (e.g. -run TestGolden -v)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "test.sh: $*" >&2; }
die() { say "$*"; exit 1; }

is_root() { [[ "$(id -u)" == 0 ]]; }

apt_updated=false
# apt_install PACKAGE... installs Debian packages, updating the lists once.
apt_install() {
	is_root || die "need $* but not root: install them (apt-get install $*) or run as root"
	export DEBIAN_FRONTEND=noninteractive
	if ! $apt_updated; then
		say "apt-get update"
		apt-get update -qq >/dev/null
		apt_updated=true
	fi
	say "installing $*"
	apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# postgres_answers reports whether something listens on 127.0.0.1:5432.
postgres_answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }

# postgres_ready reports whether user postgres reaches database test over TCP
# without a password.
postgres_ready() {
	psql "postgres://postgres@127.0.0.1:5432/test?sslmode=disable" -w -Atqc 'SELECT 1' >/dev/null 2>&1
}

# as_postgres runs a command as the postgres OS user (peer auth on the socket).
as_postgres() { (cd / && runuser -u postgres -- "$@"); }

# local_cluster prints "VERSION main" of the newest PostgreSQL installed.
local_cluster() {
	local version
	# shellcheck disable=SC2012 # cluster versions are plain numbers
	version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
	[[ -n "$version" && -d "/etc/postgresql/$version/main" ]] || return 1
	echo "$version main"
}

setup_postgres() {
	if ! postgres_answers; then
		if ! local_cluster >/dev/null || ! command -v pg_ctlcluster >/dev/null; then
			apt_install postgresql
		fi
		local cluster
		cluster=$(local_cluster) || die "postgresql is installed but has no cluster in /etc/postgresql"
		is_root || die "PostgreSQL is not running on 127.0.0.1:5432 and starting it needs root"
		# Installing may have started it already.
		if ! postgres_answers; then
			say "starting PostgreSQL $cluster"
			# shellcheck disable=SC2086 # "VERSION NAME" are two arguments
			pg_ctlcluster --skip-systemctl-redirect $cluster start || postgres_answers ||
				die "could not start PostgreSQL $cluster"
		fi
		for _ in $(seq 1 60); do
			postgres_answers && break
			sleep 0.5
		done
		postgres_answers || die "PostgreSQL did not start listening on 127.0.0.1:5432"
	fi
	command -v psql >/dev/null || apt_install postgresql-client
	postgres_ready && return 0

	# The server answers, but not as the tests need: fix the local cluster.
	is_root || die "user postgres cannot reach database test on 127.0.0.1:5432 with trust auth, and fixing that needs root"
	local cluster version name hba
	cluster=$(local_cluster) || die "PostgreSQL on 127.0.0.1:5432 rejects postgres@test and is not a local cluster this script can configure"
	read -r version name <<<"$cluster"
	hba="/etc/postgresql/$version/$name/pg_hba.conf"
	local rule="host all postgres 127.0.0.1/32 trust"
	if ! grep -qxF "$rule" "$hba"; then
		say "trusting user postgres on 127.0.0.1 in $hba"
		# The first matching line wins, so the rule goes on top.
		sed -i "1i $rule" "$hba"
		pg_ctlcluster --skip-systemctl-redirect "$version" "$name" reload
	fi
	if [[ "$(as_postgres psql -Atqc "SELECT 1 FROM pg_database WHERE datname = 'test'")" != 1 ]]; then
		say "creating database test"
		as_postgres createdb test
	fi
	for _ in $(seq 1 20); do
		postgres_ready && return 0
		sleep 0.5
	done
	die "user postgres still cannot reach database test on 127.0.0.1:5432"
}

# The aws CLI of Debian's awscli package drives the CLI tour (cmd/warden/cli_test.go).
[[ -x /usr/bin/aws ]] || apt_install awscli
# Debian's Chromium runs the console's browser tests (cmd/warden/console_browser_test.go).
[[ -x /usr/bin/chromium ]] || apt_install chromium
[[ -n "${WARDEN_TEST_POSTGRES:-}" ]] || setup_postgres

if ! command -v go >/dev/null; then
	[[ -x /usr/local/go/bin/go ]] || die "Go is not installed: get the version go.mod names from https://go.dev/dl/"
	export PATH="/usr/local/go/bin:$PATH"
fi

# axe-core, from npm, checks the console's pages for accessibility in the
# browser tests (cmd/warden/console_browser_a11y_test.go).
if [[ ! -f test-output/node_modules/axe-core/axe.min.js ]]; then
	command -v npm >/dev/null || apt_install npm
	say "installing axe-core from npm into test-output/"
	mkdir -p test-output
	(cd test-output && npm install --no-save --no-package-lock --silent axe-core@4.14.1 >/dev/null)
fi

# The console's browser tests save their screenshots here (ignored by git).
export WARDEN_SCREENSHOTS="${WARDEN_SCREENSHOTS:-$PWD/test-output/screenshots}"
mkdir -p "$WARDEN_SCREENSHOTS"

say "go vet ./..."
go vet ./...
say "go test -race ./... (the first run compiles for a few minutes; then each test is listed as it ends)"
# shellcheck disable=SC2086 # GOTESTFLAGS is a list of flags
go test -race -count=1 -json ${GOTESTFLAGS:-} ./... | go run scripts/progress.go
