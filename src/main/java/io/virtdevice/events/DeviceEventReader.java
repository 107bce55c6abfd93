package io.virtdevice.events;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/** Reads {@code device_events} rows; callers run in a transaction bound to the events' owner (RLS). */
@Component
class DeviceEventReader {

    private static final String COLUMNS = """
            select id, seq, tenant_id, user_id, device_id, device_name, device_type, alexa_endpoint_id, ifttt_device_id,
                   kind, source, device_version, changes::text as changes, snapshot::text as snapshot, occurred_at
              from device_events
            """;

    private static final String BY_ID = COLUMNS + " where id = :id";

    private static final String BY_IDS = COLUMNS + " where id = any(:ids) order by seq";

    /**
     * How far back in transaction ids {@link #findAll} looks first. device_events is partitioned by writing
     * transaction and an event id says nothing about it: unbounded, the lookup probes every partition's index.
     * The events asked for were committed moments ago by short transactions, so "written less than this many
     * transaction ids ago" (about half an hour at 200 changes/s) finds them in the newest partition or two;
     * whatever is not found there is looked up everywhere.
     */
    static final long RECENT_XIDS = 1_000_000;

    private static final String BY_IDS_RECENT = COLUMNS + """
             where id = any(:ids)
               and tx_id >= cast(cast(greatest(cast(cast(pg_snapshot_xmin(pg_current_snapshot()) as text) as bigint)
                                               - :recent, 0) as text) as xid8)
             order by seq
            """;

    // the relay's events: their writing transactions are known, so the partitions outside that range are pruned
    private static final String BY_IDS_WRITTEN_BETWEEN = COLUMNS + """
             where id = any(:ids) and tx_id >= cast(:minTx as xid8) and tx_id <= cast(:maxTx as xid8)
             order by seq
            """;

    private static final String OF_DEVICE = COLUMNS + """
             where user_id = :user and device_id = :device and device_version between :from and :to
             order by device_version, seq
            """;

    // Newest first on device_events_user_device_seq_idx, scanned backwards, so the jsonpath filter only sees
    // that device's rows. The ORDER BY names the index's columns (user and device are fixed by the WHERE, so
    // the order is the same as by seq alone): ordered by seq only, a generic plan may walk the user's whole
    // history on (user_id, seq) looking for a device with fewer matches than the limit.
    private static final String NEWEST_OF_DEVICE = COLUMNS + """
             where user_id = :user and device_id = :device and kind = any(:kinds)
             order by user_id desc, device_id desc, seq desc limit :limit
            """;

    private static final String NEWEST_OF_DEVICE_MATCHING = COLUMNS + """
             where user_id = :user and device_id = :device and kind = any(:kinds)
               and jsonb_path_exists(changes, cast(:path as jsonpath), cast(:vars as jsonb))
             order by user_id desc, device_id desc, seq desc limit :limit
            """;

    private static final String RECENT_OF_DEVICE = COLUMNS + """
             where user_id = :user and device_id = :device order by seq desc limit :limit
            """;

    private static final String AFTER = COLUMNS + " where user_id = :user and seq > :after order by seq limit :limit";

    private static final String EXPIRED_THROUGH = "select app.device_events_expired_through()";

    private static final String LATEST = "select coalesce(max(seq), 0) from device_events where user_id = :user";

    private final JdbcClient jdbc;
    private final JsonMapper json;

    DeviceEventReader(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    Optional<DeviceEvent> find(UUID id) {
        return jdbc.sql(BY_ID).param("id", id).query(this::event).optional();
    }

    List<DeviceEvent> findAll(Collection<UUID> ids) {
        UUID[] wanted = ids.toArray(UUID[]::new);
        List<DeviceEvent> recent = jdbc.sql(BY_IDS_RECENT).param("ids", wanted).param("recent", RECENT_XIDS)
                .query(this::event).list();
        if (recent.size() >= wanted.length) {
            return recent;
        }
        return jdbc.sql(BY_IDS).param("ids", wanted).query(this::event).list();
    }

    /**
     * The events of these ids among those written by transactions {@code minTx} to {@code maxTx} (xid8 text,
     * inclusive), in seq order: for ids whose writers are known to lie in that range (the relay's), an exact
     * read of only the partitions that can hold them.
     */
    List<DeviceEvent> findAllWrittenBetween(Collection<UUID> ids, String minTx, String maxTx) {
        return jdbc.sql(BY_IDS_WRITTEN_BETWEEN).param("ids", ids.toArray(UUID[]::new)).param("minTx", minTx)
                .param("maxTx", maxTx).query(this::event).list();
    }

    /** The device's events with versions {@code from} to {@code to}, in version order. */
    List<DeviceEvent> ofDevice(UUID userId, UUID deviceId, long from, long to) {
        return jdbc.sql(OF_DEVICE)
                .param("user", userId)
                .param("device", deviceId)
                .param("from", from)
                .param("to", to)
                .query(this::event)
                .list();
    }

    /**
     * The device's newest events of the given kinds whose changes match the jsonpath (null: all), newest first.
     */
    List<DeviceEvent> newestOfDevice(UUID userId, UUID deviceId, Collection<String> kinds, String path, String vars,
            int limit) {
        return jdbc.sql(path == null ? NEWEST_OF_DEVICE : NEWEST_OF_DEVICE_MATCHING)
                .param("user", userId)
                .param("device", deviceId)
                .param("kinds", kinds.toArray(String[]::new))
                .param("path", path)
                .param("vars", vars)
                .param("limit", limit)
                .query(this::event)
                .list();
    }

    /** The device's newest events, newest first. */
    List<DeviceEvent> recent(UUID userId, UUID deviceId, int limit) {
        return jdbc.sql(RECENT_OF_DEVICE)
                .param("user", userId)
                .param("device", deviceId)
                .param("limit", limit)
                .query(this::event)
                .list();
    }

    /** The user's events after {@code seq}, oldest first. */
    List<DeviceEvent> after(UUID userId, long seq, int limit) {
        return jdbc.sql(AFTER)
                .param("user", userId)
                .param("after", seq)
                .param("limit", limit)
                .query(this::event)
                .list();
    }

    /** The highest seq retention may have dropped (0: none yet); a resume at or below it may miss events. */
    long expiredThrough() {
        return jdbc.sql(EXPIRED_THROUGH).query(Long.class).single();
    }

    /** The user's newest event's seq, 0 if none is kept. */
    long latest(UUID userId) {
        return jdbc.sql(LATEST).param("user", userId).query(Long.class).single();
    }

    private DeviceEvent event(ResultSet rs, int row) throws SQLException {
        return new DeviceEvent(
                rs.getObject("id", UUID.class),
                rs.getLong("seq"),
                rs.getObject("tenant_id", UUID.class),
                rs.getObject("user_id", UUID.class),
                rs.getObject("device_id", UUID.class),
                rs.getString("device_name"),
                rs.getString("device_type"),
                rs.getString("alexa_endpoint_id"),
                rs.getString("ifttt_device_id"),
                rs.getString("kind"),
                rs.getString("source"),
                rs.getLong("device_version"),
                json.readTree(rs.getString("changes")),
                json.readTree(rs.getString("snapshot")),
                rs.getObject("occurred_at", OffsetDateTime.class).toInstant());
    }
}
