package io.virtdevice.testing;

import io.virtdevice.VirtDeviceApplication;
import io.virtdevice.platform.database.EmbeddedCredentials;
import io.virtdevice.testing.fakes.FakeStripe;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Another instance of the application on the same embedded PostgreSQL as the {@link IntegrationTest} context
 * (same roles, same schema), for what must hold across instances; the caller closes it.
 */
public final class SecondInstance {

    private SecondInstance() {}

    /**
     * @param first the test context whose database to share
     * @param name the instance's db-scheduler name
     * @param settings extra {@code key=value} settings
     */
    public static ConfigurableApplicationContext start(ApplicationContext first, String name, List<String> settings) {
        EmbeddedCredentials credentials = TestDatabase.credentials(first.getEnvironment());
        List<String> args = new ArrayList<>(List.of(
                "--server.port=0",
                "--spring.datasource.url=jdbc:postgresql://localhost:"
                        + first.getEnvironment().getRequiredProperty("virtdevice.database.embedded.actual-port")
                        + "/virtdevice",
                "--spring.datasource.username=virtdevice_app",
                "--spring.datasource.password=" + credentials.app(),
                "--spring.flyway.user=virtdevice_owner",
                "--spring.flyway.password=" + credentials.owner(),
                "--LOG_FORMAT=",
                "--logging.level.root=WARN",
                "--virtdevice.web.secure-cookies=false",
                "--spring.mail.host=127.0.0.1",
                "--spring.mail.port=" + MailSink.port(),
                // every test calls from 127.0.0.1: its anonymous requests would share one address's quota
                // across the suite's extra instances (a test of that quota sets its own)
                "--virtdevice.limits.plans.free.anonymous-requests.limit=1000000",
                "--db-scheduler.scheduler-name=" + name));
        args.addAll(sharedDatabaseSettings(first));
        settings.forEach(s -> override(args, s));
        return new SpringApplicationBuilder(VirtDeviceApplication.class).run(args.toArray(String[]::new));
    }

    /**
     * The settings every instance on the test context's database must share, as command-line arguments: the
     * ones each instance writes into the database at start-up (the billing mode and limits, the Stripe
     * webhook secret and prices; {@code DeviceLimits}, {@code BillingSetup}). An instance started without
     * them would switch the shared database to its own defaults under the other tests, as a misconfigured
     * instance would in production.
     */
    public static List<String> sharedDatabaseSettings(ApplicationContext first) {
        List<String> args = new ArrayList<>();
        args.add("--virtdevice.billing.mode=" + first.getEnvironment().getProperty("virtdevice.billing.mode", "none"));
        first.getBeanProvider(FakeStripe.class).ifAvailable(stripe -> stripe.settings().forEach(s -> override(args, s)));
        return args;
    }

    /** Adds {@code --key=value}, replacing an earlier value of the key (a repeated argument would be joined). */
    public static void override(List<String> args, String setting) {
        String key = "--" + setting.substring(0, setting.indexOf('=') + 1);
        args.removeIf(a -> a.startsWith(key));
        args.add("--" + setting);
    }
}
