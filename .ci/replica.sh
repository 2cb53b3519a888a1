#!/usr/bin/env bash
# The replication pair for the read-replica tests (model/replica_test.go,
# cmd/youthvoice's replica test): two throw-away mariadbd on 127.0.0.1, a
# primary with a binary log (server_id 1) and a binlog replica of it
# (server_id 2, GTID), each with its own datadir under one temporary
# directory. The MariaDB on 3306 that the other tests share is not touched.
#
#   eval "$(bash .ci/replica.sh start)"   # exports the two DSNs below
#   bash .ci/replica.sh stop "$YV_REPLICA_PAIR_DIR"
#
# .ci/run sources this file and calls replica_pair_start / replica_pair_stop.
# start exports
#   YV_TEST_REPLICA_PRIMARY_DSN  root@tcp(127.0.0.1:PRIMARY)/yv_pair?parseTime=true
#   YV_TEST_REPLICA_DSN          root@tcp(127.0.0.1:REPLICA)/yv_pair?parseTime=true
#   YV_REPLICA_PAIR_DIR          the directory to stop and remove
# Ports: 3308 (primary) and 3307 (replica), or the next free ones.
# It takes about two seconds.

replica_pair_log() { printf 'replica-pair: %s\n' "$*" >&2; }
replica_pair_fail() {
	printf '\nreplica-pair: FATAL: %s\n' "$*" >&2
	return 1
}

# replica_pair_port N: N if nothing listens there, else the next free port.
replica_pair_port() {
	local p=$1
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
		p=$((p + 10))
		((p < 3400)) || return 1
	done
	echo "$p"
}

replica_pair_sql() { # port sql…
	local port=$1
	shift
	mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$port" -u root --connect-timeout=2 -N -B -e "$*"
}

replica_pair_start() {
	local mariadbd=/usr/sbin/mariadbd
	[[ -x $mariadbd ]] || mariadbd=$(command -v mariadbd || true)
	[[ -x $mariadbd ]] || { replica_pair_fail "mariadbd not found (apt-get install mariadb-server)"; return 1; }
	command -v mariadb-install-db >/dev/null || { replica_pair_fail "mariadb-install-db not found (apt-get install mariadb-server)"; return 1; }
	command -v mariadb >/dev/null || { replica_pair_fail "the mariadb client is not installed (apt-get install mariadb-client)"; return 1; }

	local dir pport rport
	dir=$(mktemp -d /tmp/yv-replica-pair.XXXXXX) || return 1
	export YV_REPLICA_PAIR_DIR=$dir
	pport=$(replica_pair_port 3308) || { replica_pair_fail "no free port for the primary"; return 1; }
	rport=$(replica_pair_port 3307) || { replica_pair_fail "no free port for the replica"; return 1; }
	[[ $rport != "$pport" ]] || rport=$(replica_pair_port $((pport + 1))) || { replica_pair_fail "no free port for the replica"; return 1; }

	# Small and fast: test data only, nothing to keep.
	local common=(--innodb-buffer-pool-size=32M --innodb-log-file-size=8M)
	local asroot=()
	[[ $(id -u) == 0 ]] && asroot=(--user=root)
	if ! mariadb-install-db --no-defaults "${asroot[@]}" --auth-root-authentication-method=normal \
		--skip-test-db --datadir="$dir/primary" "${common[@]}" >"$dir/install-db.log" 2>&1; then
		tail -n 20 "$dir/install-db.log" >&2
		replica_pair_fail "mariadb-install-db failed (log: $dir/install-db.log)"
		return 1
	fi
	# The replica starts from the same empty datadir, so replication
	# begins at the primary's first binlog event.
	cp -a "$dir/primary" "$dir/replica"

	# Mroonga (full-text search on MariaDB), when installed: the
	# migrations run on this pair too.
	local plugins=()
	local pdir
	for pdir in /usr/lib/mysql/plugin /usr/lib/x86_64-linux-gnu/mariadb19/plugin /usr/lib64/mysql/plugin; do
		[[ -e $pdir/ha_mroonga.so ]] && { plugins=(--plugin-load-add=ha_mroonga); break; }
	done

	local run=(--no-defaults "${asroot[@]}" --bind-address=127.0.0.1 --skip-name-resolve
		--innodb-flush-log-at-trx-commit=2 --sync-binlog=0 --character-set-server=utf8mb4
		--collation-server=utf8mb4_unicode_ci "${common[@]}" "${plugins[@]}")
	local n port extra
	for n in primary replica; do
		if [[ $n == primary ]]; then
			port=$pport extra=(--server-id=1 --log-bin="$dir/primary/binlog")
		else
			port=$rport extra=(--server-id=2 --read-only=1 --relay-log="$dir/replica/relay")
		fi
		setsid "$mariadbd" "${run[@]}" --datadir="$dir/$n" --port="$port" --socket="$dir/$n.sock" \
			--pid-file="$dir/$n.pid" --log-error="$dir/$n.err" "${extra[@]}" </dev/null >/dev/null 2>&1 &
		echo $! >"$dir/$n.launcher"
	done

	local i
	for n in "$pport:primary" "$rport:replica"; do
		for ((i = 0; i < 300; i++)); do
			replica_pair_sql "${n%%:*}" 'SELECT 1' >/dev/null 2>&1 && break
			sleep 0.1
		done
		if ! replica_pair_sql "${n%%:*}" 'SELECT 1' >/dev/null; then
			tail -n 20 "$dir/${n#*:}.err" >&2
			replica_pair_fail "the ${n#*:} (127.0.0.1:${n%%:*}) did not answer within 30 s (log: $dir/${n#*:}.err)"
			return 1
		fi
	done

	replica_pair_sql "$rport" "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$pport, MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE" ||
		{ replica_pair_fail "could not start replication on the replica"; return 1; }
	replica_pair_sql "$pport" 'CREATE DATABASE yv_pair CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci' ||
		{ replica_pair_fail "could not create yv_pair on the primary"; return 1; }
	for ((i = 0; i < 100; i++)); do
		[[ $(replica_pair_sql "$rport" "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'yv_pair'" 2>/dev/null) == 1 ]] && break
		sleep 0.1
	done
	if [[ $(replica_pair_sql "$rport" "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'yv_pair'") != 1 ]]; then
		replica_pair_sql "$rport" 'SHOW SLAVE STATUS\G' >&2 || true
		replica_pair_fail "a database created on the primary did not reach the replica within 10 s"
		return 1
	fi

	export YV_TEST_REPLICA_PRIMARY_DSN="root@tcp(127.0.0.1:$pport)/yv_pair?parseTime=true"
	export YV_TEST_REPLICA_DSN="root@tcp(127.0.0.1:$rport)/yv_pair?parseTime=true"
	replica_pair_log "primary 127.0.0.1:$pport, replica 127.0.0.1:$rport (binlog, GTID), in $dir"
}

# replica_pair_stop [DIR]: stops the pair's two servers and removes DIR.
replica_pair_stop() {
	local dir=${1:-${YV_REPLICA_PAIR_DIR:-}}
	[[ -n $dir && -d $dir ]] || return 0
	local n pid i pids=()
	for n in primary replica; do
		pid=$(cat "$dir/$n.pid" 2>/dev/null || cat "$dir/$n.launcher" 2>/dev/null || true)
		[[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
	done
	for ((i = 0; i < 100; i++)); do
		local alive=0
		for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		((alive)) || break
		sleep 0.1
	done
	for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	rm -rf "$dir"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -euo pipefail
	case ${1:-} in
	start)
		replica_pair_start
		printf 'export YV_TEST_REPLICA_PRIMARY_DSN=%q YV_TEST_REPLICA_DSN=%q YV_REPLICA_PAIR_DIR=%q\n' \
			"$YV_TEST_REPLICA_PRIMARY_DSN" "$YV_TEST_REPLICA_DSN" "$YV_REPLICA_PAIR_DIR"
		;;
	stop) replica_pair_stop "${2:-}" ;;
	*)
		echo "usage: eval \"\$(bash $0 start)\"; bash $0 stop DIR" >&2
		exit 2
		;;
	esac
fi
