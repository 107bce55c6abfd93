package io.virtdevice.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/**
 * {@code GET /api/v1/event-failures} pages like the other lists ({@code limit}, opaque {@code cursor},
 * {@code {items, nextCursor}}), newest first with no row twice or left out, each user seeing only their own;
 * bad paging parameters are RFC 9457 400s.
 */
@IntegrationTest
class EventFailurePaginationTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ApplicationContext context;

    Fixtures fixtures;
    JdbcClient superuser;

    @BeforeEach
    void setUp() {
        fixtures = new Fixtures(dataSource, hasher);
        superuser = TestDatabase.of(context).superuser();
    }

    @Test
    void pagesThroughEveryFailureNewestFirstWithoutRepeatsOrGaps() {
        Fixtures.TestUser owner = fixtures.owner();
        Fixtures.TestUser other = fixtures.owner();
        // five failures, two of them created at the same instant (the id breaks the tie), and a waiting one
        List<UUID> newestFirst = new ArrayList<>();
        newestFirst.add(failure(owner, "dead", 2, "1 minute"));
        UUID tieA = failure(owner, "dead", 2, "2 minutes");
        UUID tieB = failure(owner, "pending", 1, null);
        superuser.sql("update event_failures set created_at = (select created_at from event_failures where id = :a) "
                + "where id = :b").param("a", tieA).param("b", tieB).update();
        // PostgreSQL orders uuids as unsigned bytes, as their text sorts (UUID.compareTo does not)
        newestFirst.addAll(tieA.toString().compareTo(tieB.toString()) > 0 ? List.of(tieA, tieB) : List.of(tieB, tieA));
        newestFirst.add(failure(owner, "dead", 2, "3 minutes"));
        newestFirst.add(failure(owner, "dead", 2, "4 minutes"));
        failure(owner, "pending", 0, "30 seconds"); // waiting behind a failing one: not listed
        failure(other, "dead", 2, "1 minute");
        Api api = new Api(port).bearer(owner.apiKey());

        JsonNode all = api.get("/api/v1/event-failures").json();
        assertThat(ids(all)).containsExactlyElementsOf(newestFirst);
        assertThat(all.path("nextCursor").isNull()).isTrue();

        List<UUID> paged = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Api.Response page = api.get("/api/v1/event-failures?limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.status()).as(page.toString()).isEqualTo(200);
            assertThat(page.json().path("items").size()).isBetween(1, 2);
            paged.addAll(ids(page.json()));
            cursor = page.json().path("nextCursor").isNull() ? null : page.json().path("nextCursor").asString();
            pages++;
        } while (cursor != null && pages < 10);
        assertThat(pages).isEqualTo(3);
        assertThat(paged).containsExactlyElementsOf(newestFirst);

        // another user's cursor is only a position: it never shows the owner's rows
        String owners = api.get("/api/v1/event-failures?limit=1").json().path("nextCursor").asString();
        JsonNode foreign = new Api(port).bearer(other.apiKey()).get("/api/v1/event-failures?cursor=" + owners).json();
        assertThat(ids(foreign)).doesNotContainAnyElementsOf(newestFirst);
    }

    @Test
    void badPagingParametersAreProblems() {
        Fixtures.TestUser owner = fixtures.owner();
        Api api = new Api(port).bearer(owner.apiKey());
        String forged = Base64.getUrlEncoder().withoutPadding()
                .encodeToString("yesterday|not-an-id".getBytes(StandardCharsets.UTF_8));
        for (String query : List.of("cursor=not-a-cursor", "cursor=" + forged, "cursor=" + "A".repeat(300),
                "limit=0", "limit=101", "limit=abc", "limit=1.5", "limit=-1")) {
            Api.Response response = api.get("/api/v1/event-failures?" + query);
            assertThat(response.status()).as(query + ": " + response).isEqualTo(400);
            assertThat(response.header("Content-Type")).as(query).startsWith("application/problem+json");
            assertThat(response.json().path("type").asString()).as(query).endsWith("invalid-parameter");
            assertThat(response.json().path("detail").asString()).as(query)
                    .contains(query.startsWith("cursor") ? "'cursor'" : "'limit'");
        }
        assertThat(api.get("/api/v1/event-failures?limit=100").status()).isEqualTo(200);
    }

    /** A parked event of {@code user}, created {@code age} ago (null: now). */
    private UUID failure(Fixtures.TestUser user, String status, int attempts, String age) {
        return superuser.sql("""
                        insert into event_failures (tenant_id, user_id, consumer, event_id, event_seq, event_type,
                                                    status, attempts, error, created_at)
                        values (:t, :u, 'pagination-test', gen_random_uuid(), 1, 'property.changed', :status,
                                :attempts, case when :attempts > 0 then 'refused' end,
                                now() - coalesce(cast(:age as interval), interval '0'))
                        returning id
                        """)
                .param("t", user.tenantId())
                .param("u", user.userId())
                .param("status", status)
                .param("attempts", attempts)
                .param("age", age)
                .query(UUID.class)
                .single();
    }

    private static List<UUID> ids(JsonNode page) {
        return page.path("items").valueStream().map(i -> UUID.fromString(i.path("id").asString())).toList();
    }
}
