package io.virtdevice.accounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.web.DatabaseErrors;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.util.function.Function;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.simple.JdbcClient;

/** What the database itself refuses the application role, whatever the Java code would have checked. */
@IntegrationTest
class AccountDatabaseTests {

    @LocalServerPort
    int port;

    @Autowired
    Environment environment;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    TestAccounts accounts;
    Fixtures.TestUser owner;
    TenantContext member;

    @BeforeEach
    void setUp() {
        accounts = new TestAccounts(port, environment, dataSource, hasher);
        owner = accounts.fixtures.owner();
        Api ownerApi = accounts.signedIn(owner.email(), Fixtures.PASSWORD);
        member = accounts.invite(ownerApi, "member").context(owner.tenantId());
    }

    private String sqlStateAsMember(Function<JdbcClient, Object> work) {
        Throwable thrown = catchThrowable(() -> accounts.asApp(member, work));
        assertThat(thrown).as("the database refuses").isNotNull();
        return DatabaseErrors.of(thrown).map(DatabaseErrors::sqlState).orElseThrow(() -> new AssertionError(thrown));
    }

    @Test
    void memberCannotReadCredentialsOrTokens() {
        assertThat(sqlStateAsMember(jdbc -> jdbc.sql("select * from user_credentials").query().listOfRows()))
                .isEqualTo("42501");
        assertThat(sqlStateAsMember(jdbc -> jdbc.sql("select * from auth_tokens").query().listOfRows()))
                .isEqualTo("42501");
        assertThat(sqlStateAsMember(jdbc -> jdbc.sql("select token_hash from invitations").query().listOfRows()))
                .isEqualTo("42501");
        assertThat(sqlStateAsMember(jdbc -> jdbc.sql("select * from security_events").query().listOfRows()))
                .isEqualTo("42501");
    }

    @Test
    void databaseRefusesARoleChangeByAMember() {
        assertThat(sqlStateAsMember(jdbc -> jdbc.sql("select app.change_member_role(?, 'member')")
                        .param(owner.userId())
                        .query(String.class)
                        .single()))
                .isEqualTo("VD403");
        assertThat(sqlStateAsMember(jdbc -> jdbc.sql("select app.change_member_role(?, 'owner')")
                        .param(member.userId())
                        .query(String.class)
                        .single()))
                .isEqualTo("VD403");
        assertThat(accounts.count("select count(*) from users where id = ? and role = 'owner'", owner.userId()))
                .isEqualTo(1);
    }

    @Test
    void databaseRefusesAnInvitationByAMember() {
        assertThat(sqlStateAsMember(jdbc -> jdbc.sql("select app.create_invitation(?, 'member', ?, 3600)")
                        .param(Fixtures.uniqueEmail("x"))
                        .param(Tokens.sha256(Tokens.generate("vdi_")))
                        .query(String.class)
                        .single()))
                .isEqualTo("VD403");
    }

    @Test
    void memberCannotPromoteThemselvesWithPlainSql() {
        assertThat(sqlStateAsMember(jdbc -> jdbc.sql("update users set role = 'owner' where id = ?")
                        .param(member.userId())
                        .update()))
                .isEqualTo("42501");
        // a member's tenant rename matches no row under the admin-only update policy
        Integer renamed = accounts.asApp(member, jdbc -> jdbc.sql("update tenants set name = 'Mine' where id = ?")
                .param(owner.tenantId())
                .update());
        assertThat(renamed).isZero();
    }

    @Test
    void ownerCannotReadCredentialsEither() {
        assertThatThrownBy(() -> accounts.asApp(owner.context(),
                        jdbc -> jdbc.sql("select password_hash from user_credentials").query().listOfRows()))
                .satisfies(e -> assertThat(DatabaseErrors.is(e, "42501")).isTrue());
    }
}
