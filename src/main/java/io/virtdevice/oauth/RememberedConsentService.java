package io.virtdevice.oauth;

import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.tenancy.TenantScope;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationConsent;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationConsentService;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Consents the user asked us to remember ("remember this decision"), per user and client. SAS saves every
 * approval; an approval without "remember" carries {@link #ONCE}, and is not stored, so the consent page
 * appears again next time. Consents are only ever read and written for the signed-in user of the request.
 */
@Component
class RememberedConsentService implements OAuth2AuthorizationConsentService {

    /** Marks an approval that holds for this one authorization only. */
    static final GrantedAuthority ONCE = new SimpleGrantedAuthority("CONSENT_ONCE");

    private final AuthorizationRepository repository;
    private final TransactionTemplate tx;

    RememberedConsentService(AuthorizationRepository repository, PlatformTransactionManager transactions) {
        this.repository = repository;
        this.tx = new TransactionTemplate(transactions);
    }

    @Override
    public void save(OAuth2AuthorizationConsent consent) {
        if (consent.getAuthorities().contains(ONCE) || consent.getScopes().isEmpty()) {
            return;
        }
        asOwner(consent.getPrincipalName(), user -> {
            repository.saveConsent(user.tenantId(), user.userId(), UUID.fromString(consent.getRegisteredClientId()),
                    new LinkedHashSet<>(consent.getScopes()));
            return null;
        });
    }

    @Override
    public void remove(OAuth2AuthorizationConsent consent) {
        asOwner(consent.getPrincipalName(), user -> repository.deleteConsent(user.userId(),
                UUID.fromString(consent.getRegisteredClientId())));
    }

    @Override
    public OAuth2AuthorizationConsent findById(String registeredClientId, String principalName) {
        return asOwner(principalName, user -> repository.consent(user.userId(), UUID.fromString(registeredClientId))
                        .map(scopes -> {
                            OAuth2AuthorizationConsent.Builder builder =
                                    OAuth2AuthorizationConsent.withId(registeredClientId, principalName);
                            scopes.forEach(builder::scope);
                            return builder.build();
                        })
                        .orElse(null));
    }

    /** The scopes the user has remembered for a client, for the consent page. */
    Set<String> remembered(CurrentUser user, UUID clientId) {
        return TenantScope.call(user.context(), () -> tx.execute(s -> repository.consent(user.userId(), clientId)))
                .orElse(Set.of());
    }

    private <T> T asOwner(String principalName, Function<CurrentUser, T> work) {
        Optional<CurrentUser> user = signedIn().filter(u -> u.getName().equals(principalName));
        if (user.isEmpty()) {
            // consents are only touched in the signed-in owner's own authorization requests
            return null;
        }
        return TenantScope.call(user.get().context(), () -> tx.execute(s -> work.apply(user.get())));
    }

    private static Optional<CurrentUser> signedIn() {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        return auth != null && auth.getPrincipal() instanceof CurrentUser user ? Optional.of(user) : Optional.empty();
    }
}
