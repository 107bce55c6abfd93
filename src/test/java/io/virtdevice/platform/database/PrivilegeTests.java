package io.virtdevice.platform.database;

import static io.virtdevice.testing.TestDatabase.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.web.DatabaseErrors;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.Fixtures.TestUser;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;

/**
 * A member of a tenant, connected as the app role with their own context, cannot escalate: the database
 * refuses through grants, policies and definer checks, not only the application (D-04, D-05, D-13).
 */
@IntegrationTest
class PrivilegeTests {

    @Autowired
    ApplicationContext context;

    @Autowired
    PasswordHasher hasher;

    TestDatabase db;
    TestUser owner;
    TenantContext member;

    @BeforeEach
    void aTenantWithAnOwnerAndAMember() {
        db = TestDatabase.of(context);
        owner = new Fixtures(db.dataSource(), hasher).owner();
        member = invite(owner, "member");
    }

    @Test
    void refusesAMemberMakingThemselvesOwner() {
        DatabaseErrors error = refusal(() -> db.runAs(member, jdbc ->
                jdbc.sql("update users set role = 'owner' where id = :me").param("me", member.userId()).update()));

        assertThat(error.sqlState()).isEqualTo("42501");
        assertThat(error.message()).contains("permission denied");
        assertThat(roleOf(member.userId())).isEqualTo("member");
    }

    @Test
    void letsAMemberEditOnlyTheirOwnRow() {
        int own = db.as(member, jdbc -> jdbc.sql("update users set name = 'Renamed' where id = :me")
                .param("me", member.userId()).update());
        int owners = db.as(member, jdbc -> jdbc.sql("update users set name = 'Hijacked' where id = :owner")
                .param("owner", owner.userId()).update());

        assertThat(own).isOne();
        assertThat(owners).isZero();
        assertThat(db.superuser().sql("select name from users where id = :id").param("id", owner.userId())
                .query(String.class).single()).isEqualTo("Test Owner");
    }

    @Test
    void refusesReadingCredentialsAndEmailedTokens() {
        for (String table : new String[] {"user_credentials", "auth_tokens", "security_events", "oauth_clients"}) {
            DatabaseErrors error = refusal(() -> db.as(member, jdbc ->
                    jdbc.sql("select * from " + table).query().listOfRows()));

            assertThat(error.sqlState()).as(table).isEqualTo("42501");
        }
    }

    @Test
    void refusesReadingSecretHashColumns() {
        DatabaseErrors apiKeys = refusal(() -> db.as(member, jdbc ->
                jdbc.sql("select token_hash from api_keys").query().listOfRows()));
        DatabaseErrors oauthTokens = refusal(() -> db.as(member, jdbc ->
                jdbc.sql("select access_token_hash from oauth_tokens").query().listOfRows()));

        assertThat(apiKeys.sqlState()).isEqualTo("42501");
        assertThat(oauthTokens.sqlState()).isEqualTo("42501");
    }

    @Test
    void refusesRaisingTheOwnPlanLimit() {
        DatabaseErrors error = refusal(() -> db.runAs(member, jdbc ->
                jdbc.sql("update subscriptions set max_devices = 300 where user_id = :me")
                        .param("me", member.userId()).update()));

        assertThat(error.sqlState()).isEqualTo("42501");
        assertThat(db.superuser().sql("select max_devices from subscriptions where user_id = :me")
                .param("me", member.userId()).query(Integer.class).single()).isEqualTo(2);
    }

    @Test
    void refusesEditingOrDeletingTheActivityLog() {
        db.runAs(member, jdbc -> jdbc.sql("""
                        insert into activity_logs (tenant_id, user_id, action, source) values (:t, :u, 'user.login', 'web')
                        """).param("t", member.tenantId()).param("u", member.userId()).update());

        DatabaseErrors update = refusal(() -> db.runAs(member, jdbc ->
                jdbc.sql("update activity_logs set action = 'user.logout'").update()));
        DatabaseErrors delete = refusal(() -> db.runAs(member, jdbc -> jdbc.sql("delete from activity_logs").update()));
        DatabaseErrors truncate = refusal(() -> db.runAs(member, jdbc -> jdbc.sql("truncate activity_logs").update()));

        assertThat(update.sqlState()).isEqualTo("42501");
        assertThat(delete.sqlState()).isEqualTo("42501");
        assertThat(truncate.sqlState()).isEqualTo("42501");
        assertThat(db.superuser().sql("select count(*) from activity_logs where user_id = :u and action = 'user.login'")
                .param("u", member.userId()).query(Long.class).single()).isOne();
    }

    @Test
    void refusesAnActivityEntryInSomeoneElsesName() {
        DatabaseErrors error = refusal(() -> db.runAs(member, jdbc -> jdbc.sql("""
                        insert into activity_logs (tenant_id, user_id, action, source) values (:t, :u, 'user.login', 'web')
                        """).param("t", member.tenantId()).param("u", owner.userId()).update()));

        assertThat(error.sqlState()).isEqualTo("42501");
        assertThat(error.message()).contains("row-level security");
    }

    @Test
    void showsAMemberOnlyTheirOwnActivityButTheOwnerAll() {
        db.runAs(owner.context(), jdbc -> jdbc.sql("""
                        insert into activity_logs (tenant_id, user_id, action, source) values (:t, :u, 'user.login', 'web')
                        """).param("t", owner.tenantId()).param("u", owner.userId()).update());
        db.runAs(member, jdbc -> jdbc.sql("""
                        insert into activity_logs (tenant_id, user_id, action, source) values (:t, :u, 'user.login', 'web')
                        """).param("t", member.tenantId()).param("u", member.userId()).update());

        long seenByMember = db.as(member, jdbc -> jdbc.sql("select count(*) from activity_logs where user_id <> :me")
                .param("me", member.userId()).query(Long.class).single());
        long seenByOwner = db.as(owner.context(), jdbc -> jdbc.sql("select count(*) from activity_logs")
                .query(Long.class).single());

        assertThat(seenByMember).isZero();
        assertThat(seenByOwner).isEqualTo(2);
    }

    @Test
    void refusesMovingADeviceToAnotherUser() {
        UUID device = db.as(member, jdbc -> jdbc.sql("""
                        insert into devices (tenant_id, user_id, name, friendly_name, device_type)
                        values (:t, :u, 'Lamp', 'Lamp', 'switch') returning id
                        """).param("t", member.tenantId()).param("u", member.userId()).query(UUID.class).single());

        DatabaseErrors error = refusal(() -> db.runAs(member, jdbc ->
                jdbc.sql("update devices set user_id = :owner where id = :d")
                        .param("owner", owner.userId()).param("d", device).update()));

        assertThat(error.sqlState()).isEqualTo("42501");
    }

    @Test
    void refusesAMemberChangingRolesThroughTheDefinerFunction() {
        DatabaseErrors demoteOwner = refusal(() -> db.as(member, jdbc ->
                jdbc.sql("select app.change_member_role(:u, 'member')").param("u", owner.userId())
                        .query(String.class).single()));
        DatabaseErrors promoteSelf = refusal(() -> db.as(member, jdbc ->
                jdbc.sql("select app.change_member_role(:u, 'owner')").param("u", member.userId())
                        .query(String.class).single()));

        assertThat(demoteOwner.sqlState()).isEqualTo("VD403");
        assertThat(promoteSelf.sqlState()).isEqualTo("VD403");
        assertThat(roleOf(owner.userId())).isEqualTo("owner");
        assertThat(roleOf(member.userId())).isEqualTo("member");
    }

    @Test
    void letsTheOwnerChangeAMembersRole() {
        String previous = db.as(owner.context(), jdbc -> jdbc.sql("select app.change_member_role(:u, 'admin')")
                .param("u", member.userId()).query(String.class).single());

        assertThat(previous).isEqualTo("member");
        assertThat(roleOf(member.userId())).isEqualTo("admin");
    }

    @Test
    void refusesAnOwnerOfAnotherTenantChangingThisTenantsRoles() {
        TestUser stranger = new Fixtures(db.dataSource(), hasher).owner();

        DatabaseErrors error = refusal(() -> db.as(stranger.context(), jdbc ->
                jdbc.sql("select app.change_member_role(:u, 'admin')").param("u", member.userId())
                        .query(String.class).single()));

        assertThat(error.sqlState()).isEqualTo("VD404");
        assertThat(roleOf(member.userId())).isEqualTo("member");
    }

    /** A new user of the owner's tenant, through the definer functions the invitation flow uses. */
    private TenantContext invite(TestUser inviter, String role) {
        String token = Tokens.generate("vdi_");
        String email = Fixtures.uniqueEmail(role);
        db.as(inviter.context(), jdbc -> jdbc.sql("select app.create_invitation(:email, cast(:role as user_role), :hash, 3600)")
                .param("email", email).param("role", role).param("hash", Tokens.sha256(token))
                .query(UUID.class).single());
        return db.withoutContext(jdbc -> jdbc.sql("""
                        select user_id, tenant_id from app.accept_invitation(:hash, 'Test Member', :pw, 2)
                        """)
                .param("hash", Tokens.sha256(token)).param("pw", hasher.hash(Fixtures.PASSWORD))
                .query((rs, i) -> new TenantContext(rs.getObject("tenant_id", UUID.class),
                        rs.getObject("user_id", UUID.class)))
                .single());
    }

    private String roleOf(UUID user) {
        return db.superuser().sql("select role::text from users where id = :id").param("id", user)
                .query(String.class).single();
    }
}
