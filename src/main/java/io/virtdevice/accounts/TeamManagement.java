package io.virtdevice.accounts;

import io.virtdevice.activity.ActivityAction;
import io.virtdevice.activity.ActivityLog;
import io.virtdevice.devices.ChangeSource;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.platform.security.CredentialRevoked;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.tenancy.TenantScopedTransactionManager;
import io.virtdevice.platform.web.ApiProblem;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The accounts module's API for teams: the tenant's name, its members and their roles, and invitations.
 * Who may do what (owners and admins manage, nobody grants above their own rank, the tenant keeps an
 * owner) is decided by the database functions, so it holds even for a caller that skips these methods.
 */
@Service
public class TeamManagement {

    static final Duration INVITATION_TTL = Duration.ofDays(7);

    private final TeamRepository team;
    private final AccountRepository accounts;
    private final PasswordHashing hashing;
    private final AccountMails mails;
    private final ActivityLog activity;
    private final DataSource dataSource;
    private final TransactionTemplate tx;
    private final ApplicationEventPublisher events;
    private final DeviceManagement devices;

    TeamManagement(TeamRepository team, AccountRepository accounts, PasswordHashing hashing, AccountMails mails,
            ActivityLog activity, DataSource dataSource, PlatformTransactionManager transactions,
            DeviceManagement devices, ApplicationEventPublisher events) {
        this.events = events;
        this.team = team;
        this.accounts = accounts;
        this.hashing = hashing;
        this.mails = mails;
        this.activity = activity;
        this.dataSource = dataSource;
        this.tx = new TransactionTemplate(transactions);
        this.devices = devices;
    }

    @Transactional(readOnly = true)
    public Tenant tenant() {
        return team.tenant().orElseThrow(() -> ApiProblem.notFound("Your team"));
    }

    /** Owners and admins only (the row policy refuses everybody else). */
    @Transactional
    public Tenant renameTenant(CurrentUser user, String name) {
        String previous = tenant().name();
        String normalized = AccountManagement.text(name);
        if (!team.renameTenant(normalized)) {
            throw ApiProblem.forbidden("Only owners and admins can rename the team.");
        }
        activity.record(ActivityAction.TENANT_UPDATED, user.source(), null, Map.of("name", normalized, "previousName", previous));
        return tenant();
    }

    @Transactional(readOnly = true)
    public List<Member> members() {
        return team.members();
    }

    /** @return the member with the new role */
    @Transactional
    public Member changeRole(CurrentUser user, UUID memberId, String role) {
        String previous = team.changeRole(memberId, role);
        Member member = team.member(memberId).orElseThrow(() -> ApiProblem.notFound("The member"));
        activity.record(ActivityAction.MEMBER_ROLE_CHANGED, user.source(), null,
                Map.of("memberId", memberId, "email", member.email(), "from", previous, "to", role));
        return member;
    }

    /** Removes the member and everything they own; the caller then ends the member's sessions. */
    @Transactional
    public void removeMember(CurrentUser user, UUID memberId) {
        // The member's devices go first, each like any other delete (a device.deleted event each, written
        // under the member's context, which outlives the member); the database then decides whether the
        // caller may remove the member at all, and a refusal rolls the deletions back with it.
        TenantContext member = new TenantContext(user.tenantId(), memberId);
        if (!member.equals(user.context())) {
            TenantScopedTransactionManager.rebind(dataSource, member);
            TenantScope.run(member, () -> devices.deleteAll(ChangeSource.SYSTEM));
            TenantScopedTransactionManager.rebind(dataSource, user.context());
        }
        String email = team.removeMember(memberId);
        activity.record(ActivityAction.MEMBER_REMOVED, user.source(), null, Map.of("memberId", memberId, "email", email));
        // once committed: the member's API keys and tokens stop working and their live streams close everywhere
        events.publishEvent(CredentialRevoked.user(memberId));
    }

    /** Invites someone by email as admin or member and mails them a link. */
    @Transactional
    public Invitation invite(CurrentUser user, String rawEmail, String role) {
        String email = AccountManagement.normalizeEmail(rawEmail);
        String token = Tokens.generate("vdi_");
        UUID id = team.createInvitation(email, role, Tokens.sha256(token), INVITATION_TTL);
        if (team.hasMember(email)) {
            throw ApiProblem.conflict("This person is already a member of the team.");
        }
        activity.record(ActivityAction.MEMBER_INVITED, user.source(), null, Map.of("email", email, "role", role));
        Account inviter = accounts.account(user.userId()).orElseThrow();
        mails.invitation(email, inviter.tenant().name(), inviter.name() != null ? inviter.name() : inviter.email(), role,
                token);
        return team.invitation(id).orElseThrow();
    }

    /** Open invitations; owners and admins only. */
    @Transactional(readOnly = true)
    public List<Invitation> invitations() {
        if (team.callerRole().filter(role -> !role.equals("member")).isEmpty()) {
            throw ApiProblem.forbidden("Only owners and admins can see invitations.");
        }
        return team.invitations();
    }

    @Transactional
    public void revokeInvitation(CurrentUser user, UUID invitationId) {
        String email = team.invitation(invitationId).map(Invitation::email).orElse(null);
        if (!team.revokeInvitation(invitationId)) {
            throw ApiProblem.notFound("The invitation");
        }
        activity.record(ActivityAction.INVITATION_REVOKED, user.source(), null,
                Map.of("invitationId", invitationId, "email", email));
    }

    /**
     * Creates the invited user; the caller signs them in.
     *
     * @throws InvalidToken for an unknown, expired, revoked or used invitation
     */
    public SignedIn acceptInvitation(String token, String name, String password) {
        String passwordHash = hashing.hash(password);
        return TenantScope.callWithoutContext(() -> tx.execute(s -> {
            TenantContext context = team.acceptInvitation(Tokens.sha256(token), AccountManagement.blankToNull(name),
                            passwordHash, AccountManagement.FREE_PLAN_MAX_DEVICES)
                    .orElseThrow(InvalidToken::new);
            TenantScopedTransactionManager.rebind(dataSource, context);
            Account account = accounts.account(context.userId()).orElseThrow();
            activity.record(context, ActivityAction.MEMBER_JOINED, "web", null,
                    Map.of("email", account.email(), "role", account.role()));
            return SignedIn.of(account);
        }));
    }
}
