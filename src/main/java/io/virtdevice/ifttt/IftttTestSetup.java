package io.virtdevice.ifttt;

import io.virtdevice.accounts.AccountManagement;
import io.virtdevice.devices.ChangeSource;
import io.virtdevice.devices.Device;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.devices.DeviceType;
import io.virtdevice.devices.NewDevice;
import io.virtdevice.oauth.OAuthManagement;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * {@code POST /ifttt/v1/test/setup} (shared/spec/ifttt.md §4.2): creates, or on later calls resets, one
 * dedicated test user with one device of each type and at least three events for every sampled trigger,
 * and returns an access token of that user (IFTTT's client) with samples for every trigger, field
 * validation, action, skipping case and the query.
 */
@Service
class IftttTestSetup {

    /** What the samples use, per device type, in the order a device field's first match is taken from. */
    static final List<DeviceType> PREFERRED = List.of(DeviceType.SWITCH, DeviceType.DIMMER, DeviceType.CONTACT_SENSOR,
            DeviceType.MOTION_SENSOR, DeviceType.TEMPERATURE_SENSOR, DeviceType.DOORBELL);

    /** An IFTTT device id no device has ({@code vd_} + 32 hex digits is what devices get). */
    static final String UNKNOWN_DEVICE = "vd_00000000000000000000000000000000";

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final AccountManagement accounts;
    private final DeviceManagement devices;
    private final OAuthManagement oauth;
    private final TriggerSubscriptions subscriptions;
    private final IftttSettings settings;
    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final String clientId;

    IftttTestSetup(AccountManagement accounts, DeviceManagement devices, OAuthManagement oauth,
            TriggerSubscriptions subscriptions, IftttSettings settings, JdbcClient jdbc,
            PlatformTransactionManager transactions,
            @Value("${virtdevice.oauth.clients.ifttt.client-id:ifttt-service}") String clientId) {
        this.accounts = accounts;
        this.devices = devices;
        this.oauth = oauth;
        this.subscriptions = subscriptions;
        this.settings = settings;
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(transactions);
        this.clientId = clientId;
    }

    Map<String, Object> setUp() {
        TenantContext user = testUser();
        return TenantScope.call(user, () -> tx.execute(s -> {
            Map<DeviceType, Device> made = resetDevices();
            String token = oauth.issueAccessToken(clientId, settings.testTokenLifetime())
                    .orElseThrow(() -> IftttError.unavailable("The IFTTT OAuth client is not configured."));
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("accessToken", token);
            data.put("samples", samples(made));
            return data;
        }));
    }

    /** The test user, created on first use (a row in ifttt_test_user, removed with the user). */
    private TenantContext testUser() {
        Optional<TenantContext> known = TenantScope.callWithoutContext(() -> tx.execute(s -> jdbc
                .sql("select tenant_id, user_id from app.ifttt_test_user()")
                .query((rs, i) -> new TenantContext(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class)))
                .optional()));
        if (known.isPresent()) {
            return known.get();
        }
        String email = "ifttt-test-" + HexFormat.of().toHexDigits(UUID.randomUUID().getLeastSignificantBits())
                + "@example.com";
        TenantContext created = accounts.createServiceAccount("IFTTT endpoint tests", email, "IFTTT Test", 20)
                .orElseThrow(() -> new IllegalStateException("the test user's email is taken"));
        TenantScope.callWithoutContext(() -> tx.execute(s -> jdbc.sql("select app.set_ifttt_test_user(:t, :u)")
                .param("t", created.tenantId()).param("u", created.userId()).query(Object.class).optional()));
        return created;
    }

    /** Deletes the test user's devices and identities and makes one device per type with its events. */
    private Map<DeviceType, Device> resetDevices() {
        subscriptions.deleteAll(TenantScope.current().orElseThrow().userId());
        devices.deleteAll(ChangeSource.SYSTEM);
        Map<DeviceType, Device> made = new EnumMap<>(DeviceType.class);
        for (DeviceType type : PREFERRED) {
            made.put(type, devices.create(new NewDevice("Test " + IftttFields.label(type), type, null, null),
                    ChangeSource.SYSTEM));
        }
        for (int i = 0; i < 3; i++) {
            set(made.get(DeviceType.SWITCH), "power", JSON.booleanNode(true));
            set(made.get(DeviceType.SWITCH), "power", JSON.booleanNode(false));
            set(made.get(DeviceType.DIMMER), "power", JSON.booleanNode(true));
            set(made.get(DeviceType.DIMMER), "power", JSON.booleanNode(false));
            set(made.get(DeviceType.CONTACT_SENSOR), "contact", JSON.stringNode("open"));
            set(made.get(DeviceType.CONTACT_SENSOR), "contact", JSON.stringNode("closed"));
            set(made.get(DeviceType.MOTION_SENSOR), "motion", JSON.stringNode("detected"));
            set(made.get(DeviceType.MOTION_SENSOR), "motion", JSON.stringNode("not_detected"));
            set(made.get(DeviceType.TEMPERATURE_SENSOR), "temperature", JSON.numberNode(30));
            set(made.get(DeviceType.TEMPERATURE_SENSOR), "temperature", JSON.numberNode(18));
            devices.press(made.get(DeviceType.DOORBELL).id(), ChangeSource.SYSTEM);
        }
        return made;
    }

    private void set(Device device, String property, JsonNode value) {
        devices.setProperties(device.id(), Map.of(property, value), null, ChangeSource.SYSTEM);
    }

    private static Map<String, Object> samples(Map<DeviceType, Device> made) {
        Map<String, Object> triggers = new LinkedHashMap<>();
        Map<String, Object> validations = new LinkedHashMap<>();
        for (IftttTrigger trigger : IftttTrigger.values()) {
            Map<String, String> values = new LinkedHashMap<>();
            Map<String, Object> checks = new LinkedHashMap<>();
            for (Field field : trigger.fields()) {
                values.put(field.name(), valid(field, made));
                if (field.validatable()) {
                    checks.put(field.name(), Map.of("valid", valid(field, made), "invalid", invalid(field)));
                }
            }
            triggers.put(trigger.slug(), values);
            validations.put(trigger.slug(), checks);
        }
        Map<String, Object> actions = new LinkedHashMap<>();
        Map<String, Object> skipping = new LinkedHashMap<>();
        for (IftttAction action : IftttAction.values()) {
            Map<String, String> values = new LinkedHashMap<>();
            Map<String, String> skip = new LinkedHashMap<>();
            for (Field field : action.fields()) {
                values.put(field.name(), valid(field, made));
                skip.put(field.name(), field.kind() == Field.Kind.DEVICE ? UNKNOWN_DEVICE : valid(field, made));
            }
            actions.put(action.slug(), values);
            skipping.put(action.slug(), skip);
        }
        Map<String, Object> samples = new LinkedHashMap<>();
        samples.put("triggers", triggers);
        samples.put("triggerFieldValidations", validations);
        samples.put("actions", actions);
        samples.put("actionRecordSkipping", skipping);
        samples.put("queries", Map.of(IftttController.QUERY_LIST_DEVICES, Map.of("type", "switch")));
        return samples;
    }

    /** A value the field accepts that makes the test user's triggers return their events. */
    private static String valid(Field field, Map<DeviceType, Device> made) {
        return switch (field.kind()) {
            case DEVICE -> PREFERRED.stream().filter(field.deviceTypes()::contains).findFirst()
                    .map(made::get).orElseThrow().iftttDeviceId();
            case PROPERTY -> "power";
            case STATE -> "open";
            case THRESHOLD -> "25";
            case BRIGHTNESS -> "40";
            case TEMPERATURE -> "21.5";
            case TYPE -> "switch";
        };
    }

    private static String invalid(Field field) {
        return switch (field.kind()) {
            case DEVICE -> UNKNOWN_DEVICE;
            case PROPERTY -> "colour";
            case STATE -> "ajar";
            default -> "hot";
        };
    }
}
