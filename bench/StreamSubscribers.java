import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The live streams' subscriber bookkeeping (io.virtdevice.events.EventStreams) in isolation: what a subscribe
 * (channels.compute + add to the user's channel) and an unsubscribe (computeIfPresent + remove, the channel
 * dropped when empty) cost, and what handing one event to a channel's subscribers costs, with the channel's
 * subscribers in a CopyOnWriteArrayList (before h-leftovers2) or a ConcurrentHashMap key set (after).
 * The two are measured alternately in the same run (A, B, A, B, ...), in this thread's CPU time and the bytes
 * it allocated (com.sun.management.ThreadMXBean), so the shared machine's load blurs them alike.
 *
 * Usage: java bench/StreamSubscribers.java [ROUNDS]
 */
public class StreamSubscribers {

    static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    static final class Channel {
        final Collection<Object> subscribers;

        Channel(Supplier<Collection<Object>> kind) {
            subscribers = kind.get();
        }
    }

    record Figures(long cpuNanos, long bytes) {}

    static long sink;

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        System.out.println("load average: " + Files.readString(Path.of("/proc/loadavg")).trim());
        Supplier<Collection<Object>> cow = CopyOnWriteArrayList::new;
        Supplier<Collection<Object>> set = ConcurrentHashMap::newKeySet;
        int streams = 10_000;
        for (int perUser : new int[] {5, 100, 10_000}) {
            List<Figures> a = new ArrayList<>();
            List<Figures> b = new ArrayList<>();
            for (int r = 0; r < rounds + 1; r++) { // the first round warms up and is not counted
                Figures fa = storm(cow, streams, perUser, r);
                Figures fb = storm(set, streams, perUser, r);
                if (r > 0) {
                    a.add(fa);
                    b.add(fb);
                }
            }
            report("subscribe+unsubscribe x" + streams + ", " + perUser + " per user", streams, a, b);
        }
        for (int perUser : new int[] {1, 5}) {
            int events = 2_000_000;
            List<Figures> a = new ArrayList<>();
            List<Figures> b = new ArrayList<>();
            for (int r = 0; r < rounds + 1; r++) {
                Figures fa = fanOut(cow, perUser, events);
                Figures fb = fanOut(set, perUser, events);
                if (r > 0) {
                    a.add(fa);
                    b.add(fb);
                }
            }
            report("fan-out of one event to " + perUser + " subscriber(s)", events, a, b);
        }
        System.out.println("(sink " + sink + ")");
    }

    /** Every stream subscribes (users filled in turn), then all unsubscribe in random order (a reconnect storm). */
    static Figures storm(Supplier<Collection<Object>> kind, int streams, int perUser, int seed) {
        Map<UUID, Channel> channels = new ConcurrentHashMap<>();
        int users = Math.max(1, streams / perUser);
        UUID[] userIds = new UUID[users];
        for (int i = 0; i < users; i++) {
            userIds[i] = new UUID(7, i);
        }
        List<Object[]> subscriptions = new ArrayList<>(streams);
        for (int i = 0; i < streams; i++) {
            subscriptions.add(new Object[] {userIds[i % users], new Object()});
        }
        List<Object[]> leaving = new ArrayList<>(subscriptions);
        Collections.shuffle(leaving, new Random(seed));
        long cpu = THREADS.getCurrentThreadCpuTime();
        long bytes = THREADS.getCurrentThreadAllocatedBytes();
        for (Object[] s : subscriptions) {
            channels.compute((UUID) s[0], (user, existing) -> {
                Channel c = existing == null ? new Channel(kind) : existing;
                if (c.subscribers.size() >= perUser) {
                    throw new IllegalStateException("over the per-user limit");
                }
                c.subscribers.add(s[1]);
                return c;
            });
        }
        for (Object[] s : leaving) {
            channels.computeIfPresent((UUID) s[0], (user, channel) -> {
                channel.subscribers.remove(s[1]);
                return channel.subscribers.isEmpty() ? null : channel;
            });
        }
        Figures f = new Figures(THREADS.getCurrentThreadCpuTime() - cpu, THREADS.getCurrentThreadAllocatedBytes() - bytes);
        if (!channels.isEmpty()) {
            throw new IllegalStateException("channels left");
        }
        return f;
    }

    /** One channel with {@code perUser} subscribers; each event goes to each of them. */
    static Figures fanOut(Supplier<Collection<Object>> kind, int perUser, int events) {
        Channel channel = new Channel(kind);
        for (int i = 0; i < perUser; i++) {
            channel.subscribers.add(new Object());
        }
        long[] delivered = new long[1];
        long cpu = THREADS.getCurrentThreadCpuTime();
        long bytes = THREADS.getCurrentThreadAllocatedBytes();
        for (int e = 0; e < events; e++) {
            channel.subscribers.forEach(s -> delivered[0]++);
        }
        Figures f = new Figures(THREADS.getCurrentThreadCpuTime() - cpu, THREADS.getCurrentThreadAllocatedBytes() - bytes);
        sink += delivered[0];
        return f;
    }

    static void report(String what, int ops, List<Figures> cow, List<Figures> set) {
        double cowNs = median(cow.stream().mapToLong(Figures::cpuNanos).toArray()) / ops;
        double setNs = median(set.stream().mapToLong(Figures::cpuNanos).toArray()) / ops;
        double cowB = median(cow.stream().mapToLong(Figures::bytes).toArray()) / ops;
        double setB = median(set.stream().mapToLong(Figures::bytes).toArray()) / ops;
        System.out.printf("%-52s CopyOnWriteArrayList %10.1f ns %10.1f B | key set %8.1f ns %8.1f B | cpu ratio %.2f%n",
                what + " (per op)", cowNs, cowB, setNs, setB, cowNs / setNs);
    }

    static double median(long[] values) {
        long[] v = values.clone();
        java.util.Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2.0;
    }
}
