package io.virtdevice.devices;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import org.springframework.http.HttpStatus;

/**
 * The user's plan allows no more devices; the problem carries the limit as the {@code limit} member, the
 * user's device count as {@code devices}, and, when billing is on, where to upgrade as {@code upgrade} (the
 * dashboard's billing page). After a downgrade the count may exceed the limit: the existing devices keep
 * working, new ones wait until the count is below it.
 */
public class DeviceLimitReached extends ApiProblem {

    /** The dashboard page where the tenant's owner changes the plan. */
    public static final String BILLING_PAGE = "/billing";

    private final int limit;

    public DeviceLimitReached(int limit) {
        this(limit, limit, false);
    }

    DeviceLimitReached(int limit, int devices, boolean billing) {
        super(HttpStatus.CONFLICT, ProblemTypes.PLAN_LIMIT_REACHED, "Plan limit reached", detail(limit, devices, billing));
        this.limit = limit;
        getBody().setProperty("limit", limit);
        getBody().setProperty("devices", devices);
        if (billing) {
            getBody().setProperty("upgrade", BILLING_PAGE);
        }
    }

    /** From the trigger's DETAIL {@code limit,count,mode} ({@code mode} = {@code plans} or {@code instance}). */
    static DeviceLimitReached fromDetail(String detail) {
        String[] parts = detail == null ? new String[0] : detail.strip().split(",");
        int limit = parse(parts, 0);
        int devices = parts.length > 1 ? parse(parts, 1) : limit;
        return new DeviceLimitReached(limit, devices, parts.length > 2 && "plans".equals(parts[2]));
    }

    private static int parse(String[] parts, int index) {
        try {
            return Integer.parseInt(parts[index].strip());
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private static String detail(int limit, int devices, boolean billing) {
        String allowed = "Your plan allows " + limit + (limit == 1 ? " device" : " devices");
        String what = devices > limit
                ? allowed + " and you have " + devices + ": your devices keep working, but new ones can only be"
                        + " added once you are below the limit."
                : allowed + ".";
        return what + (billing
                ? " Delete a device, or upgrade the plan on the billing page (" + BILLING_PAGE
                        + "; the team's owner can change it)."
                : " Delete a device to add another.");
    }

    public int limit() {
        return limit;
    }
}
