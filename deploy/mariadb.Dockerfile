# MariaDB for docker-compose.yml: the official 10.11 image (the major
# version CI tests: Debian 12's MariaDB 10.11) plus the Mroonga storage
# engine, whose bigram tokenizer gives Chinese full-text search (issue 19).
# The image keeps MariaDB's own apt repository configured and pins its
# version in MARIADB_VERSION, so the plugin matches the server exactly.
# The settings are deploy/mariadb.cnf, mounted by the compose file.
FROM mariadb:10.11

RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends mariadb-plugin-mroonga="$MARIADB_VERSION"; \
	rm -rf /var/lib/apt/lists/*; \
	ls /usr/lib/mysql/plugin/ha_mroonga.so
