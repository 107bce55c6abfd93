package io.virtdevice.platform.database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy;
import org.springframework.stereotype.Component;

/**
 * Keeps development databases made before the baseline squash working. Their Flyway history lists the
 * sixteen development migrations V001-V020 (git 55f70ad), which the baseline {@code V001__baseline.sql}
 * replaced with the same schema (proved by {@code scripts/compare-schema.sh}), so Flyway's validation would
 * refuse them. A history that is exactly that chain, every file as it was at 55f70ad (Flyway checksums),
 * is rewritten before the migration to the one row a database created from the baseline has; any other
 * history is left to Flyway (which refuses a mismatch, as it should). The one catalog difference, a
 * column comment that named V013, is aligned too.
 */
@Component
class PreBaselineHistory implements FlywayMigrationStrategy {

    /** Version and Flyway checksum of every pre-baseline development migration, in order. */
    static final List<Map.Entry<Integer, Integer>> CHAIN = List.of(
            Map.entry(1, 1366937594), Map.entry(2, -333440173), Map.entry(3, -1802053283), Map.entry(4, 506180017),
            Map.entry(5, -1124846942), Map.entry(6, -700274899), Map.entry(7, 1198393312), Map.entry(8, 1732059116),
            Map.entry(11, 1878554175), Map.entry(12, -1266782668), Map.entry(13, 852423262),
            Map.entry(14, -1068413561), Map.entry(15, 1394351374), Map.entry(16, -747672292),
            Map.entry(17, 1526777533), Map.entry(20, -1918461206));

    static final String BASELINE_SCRIPT = "V001__baseline.sql";
    static final String BASELINE_DESCRIPTION = "baseline";

    private static final Logger log = LoggerFactory.getLogger(PreBaselineHistory.class);

    @Override
    public void migrate(Flyway flyway) {
        adopt(flyway);
        flyway.migrate();
    }

    /** Rewrites a pre-baseline history to the baseline's; returns whether it did. */
    static boolean adopt(Flyway flyway) {
        String table = flyway.getConfiguration().getTable();
        DataSource dataSource = flyway.getConfiguration().getDataSource();
        try (Connection con = dataSource.getConnection()) {
            if (!isPreBaseline(con, table)) {
                return false;
            }
            MigrationInfo baseline = baselineInfo(flyway)
                    .orElseThrow(() -> new IllegalStateException(BASELINE_SCRIPT + " is not on the classpath"));
            con.setAutoCommit(false);
            try (Statement st = con.createStatement()) {
                st.execute("lock table " + quoted(table) + " in access exclusive mode");
                if (!isPreBaseline(con, table)) { // another instance adopted it first
                    con.rollback();
                    return false;
                }
                st.execute("delete from " + quoted(table) + " where version is not null");
                try (PreparedStatement insert = con.prepareStatement("insert into " + quoted(table) + """
                         (installed_rank, version, description, type, script, checksum, installed_by, execution_time,
                          success)
                        select coalesce(max(installed_rank), 0) + 1, ?, ?, 'SQL', ?, ?, current_user, 0, true
                          from %s""".formatted(quoted(table)))) {
                    insert.setString(1, baseline.getVersion().getVersion());
                    insert.setString(2, BASELINE_DESCRIPTION);
                    insert.setString(3, BASELINE_SCRIPT);
                    insert.setInt(4, baseline.getResolvedChecksum());
                    insert.executeUpdate();
                }
                st.execute("comment on column device_events.tx_id is 'writing transaction (dispatch order)'");
            }
            con.commit();
            log.warn("Database migrated by the pre-baseline development migrations V001-V020: its history now "
                    + "records {} instead (same schema)", BASELINE_SCRIPT);
            return true;
        } catch (SQLException e) {
            throw new IllegalStateException("could not read or rewrite the migration history", e);
        }
    }

    private static Optional<MigrationInfo> baselineInfo(Flyway flyway) {
        for (MigrationInfo info : flyway.info().all()) {
            if (info.getVersion() != null && "1".equals(info.getVersion().toString().replaceFirst("^0+", ""))
                    && info.getResolvedChecksum() != null) {
                return Optional.of(info);
            }
        }
        return Optional.empty();
    }

    private static boolean isPreBaseline(Connection con, String table) throws SQLException {
        try (PreparedStatement exists = con.prepareStatement("select to_regclass(?) is not null")) {
            exists.setString(1, quoted(table));
            try (ResultSet rs = exists.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return false;
                }
            }
        }
        List<Map.Entry<Integer, Integer>> history = new ArrayList<>();
        try (Statement st = con.createStatement();
                ResultSet rs = st.executeQuery("select version, checksum, success from " + quoted(table)
                        + " where version is not null order by installed_rank")) {
            while (rs.next()) {
                if (!rs.getBoolean("success") || rs.getObject("checksum") == null
                        || !rs.getString("version").matches("\\d{1,9}")) {
                    return false;
                }
                history.add(Map.entry(Integer.parseInt(rs.getString("version")), rs.getInt("checksum")));
            }
        }
        return history.equals(CHAIN);
    }

    private static String quoted(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
