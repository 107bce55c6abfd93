package io.virtdevice.platform.web;

import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.webmvc.autoconfigure.WebMvcRegistrations;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.cors.CorsUtils;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * Spring MVC's {@code @RequestMapping} lookup, with the mappings indexed by the literal start of their paths.
 * Spring finds a handler for a path without variables by a map look-up, but for any other path (every
 * {@code /api/v1/devices/{id}/...}) it tries every one of the application's ~140 mappings in turn: measured
 * with JFR under {@code bench/run.sh}, 11 % of a {@code PUT /api/v1/devices/{id}/properties} request's CPU
 * (docs/decisions.md, "REST write path CPU per request"). Here only the mappings whose literal leading
 * segments (up to {@value #DEPTH}) equal the path's are tried; the choice among the matches is Spring's own
 * (same comparator, direct paths first, ambiguity checked). Whenever the index cannot answer exactly like the
 * full scan (no match among the candidates: a 404, 405 or 406 decided by Spring; CORS pre-flights;
 * percent-encoded, matrix or doubled separators in the path, which the path patterns decode) the lookup is
 * Spring's.
 */
class IndexedHandlerMapping extends RequestMappingHandlerMapping {

    static final int DEPTH = 3;

    /** The index, built on first use and again after a mapping is added or removed at run time. */
    private volatile Index index;

    /** {@code byPrefix} null: some mapping cannot be indexed, every lookup is Spring's full scan. */
    private record Index(Map<String, List<RequestMappingInfo>> byPrefix, Map<RequestMappingInfo, HandlerMethod> handlers,
            Map<RequestMappingInfo, Set<String>> directPaths) {}

    @Override
    protected HandlerMethod lookupHandlerMethod(String lookupPath, HttpServletRequest request) throws Exception {
        Index current = index();
        if (current.byPrefix() == null || !indexable(lookupPath) || CorsUtils.isPreFlightRequest(request)) {
            return super.lookupHandlerMethod(lookupPath, request);
        }
        // the mappings that match, and what matched (the conditions Spring compares and hands to handleMatch)
        List<RequestMappingInfo> mappings = new ArrayList<>(2);
        List<RequestMappingInfo> conditions = new ArrayList<>(2);
        List<RequestMappingInfo> directMappings = new ArrayList<>(1);
        List<RequestMappingInfo> directConditions = new ArrayList<>(1);
        String key = "";
        int from = 1;
        for (int depth = 0; ; depth++) {
            for (RequestMappingInfo mapping : current.byPrefix().getOrDefault(key, List.of())) {
                RequestMappingInfo match = getMatchingMapping(mapping, request);
                if (match != null) {
                    boolean direct = current.directPaths().get(mapping).contains(lookupPath);
                    (direct ? directMappings : mappings).add(mapping);
                    (direct ? directConditions : conditions).add(match);
                }
            }
            if (depth == DEPTH || from >= lookupPath.length()) {
                break;
            }
            int slash = lookupPath.indexOf('/', from);
            int end = slash < 0 ? lookupPath.length() : slash;
            key = lookupPath.substring(0, end);
            from = end + 1;
        }
        // Spring tries the mappings of the exact path first and the others only if none of those matches
        if (!directMappings.isEmpty()) {
            mappings = directMappings;
            conditions = directConditions;
        }
        if (mappings.isEmpty()) {
            return super.lookupHandlerMethod(lookupPath, request);
        }
        int best = 0;
        if (mappings.size() > 1) {
            Comparator<RequestMappingInfo> comparator = getMappingComparator(request);
            for (int i = 1; i < mappings.size(); i++) {
                if (comparator.compare(conditions.get(i), conditions.get(best)) < 0) {
                    best = i;
                }
            }
            for (int i = 0; i < mappings.size(); i++) {
                if (i != best && comparator.compare(conditions.get(i), conditions.get(best)) == 0) {
                    return super.lookupHandlerMethod(lookupPath, request); // ambiguous: Spring says so
                }
            }
        }
        HandlerMethod handler = current.handlers().get(mappings.get(best));
        request.setAttribute(BEST_MATCHING_HANDLER_ATTRIBUTE, handler);
        handleMatch(conditions.get(best), lookupPath, request);
        return handler;
    }

    /** Spring's own lookup, the full scan (for the tests that compare the two). */
    HandlerMethod fullScan(String lookupPath, HttpServletRequest request) throws Exception {
        return super.lookupHandlerMethod(lookupPath, request);
    }

    @Override
    public void registerMapping(RequestMappingInfo mapping, Object handler, Method method) {
        super.registerMapping(mapping, handler, method);
        index = null;
    }

    @Override
    public void unregisterMapping(RequestMappingInfo mapping) {
        super.unregisterMapping(mapping);
        index = null;
    }

    /** A path the literal comparison sees as the path patterns do: no escapes, parameters or empty segments. */
    private static boolean indexable(String path) {
        return path.startsWith("/") && path.indexOf('%') < 0 && path.indexOf(';') < 0 && !path.contains("//");
    }

    private Index index() {
        Index current = index;
        if (current == null) {
            current = build(getHandlerMethods());
            index = current;
        }
        return current;
    }

    private Index build(Map<RequestMappingInfo, HandlerMethod> handlers) {
        Map<String, Set<RequestMappingInfo>> byPrefix = new HashMap<>();
        Map<RequestMappingInfo, Set<String>> directPaths = new HashMap<>();
        for (RequestMappingInfo mapping : handlers.keySet()) {
            directPaths.put(mapping, Set.copyOf(getDirectPaths(mapping)));
            Set<String> patterns = mapping.getPatternValues();
            if (mapping.getPathPatternsCondition() == null || patterns.isEmpty()) {
                // not path-pattern based (or matching any path): only the full scan is exact
                return new Index(null, Map.of(), Map.of());
            }
            for (String pattern : patterns) {
                byPrefix.computeIfAbsent(literalPrefix(pattern), k -> new LinkedHashSet<>()).add(mapping);
            }
        }
        Map<String, List<RequestMappingInfo>> lists = new HashMap<>();
        byPrefix.forEach((prefix, mappings) -> lists.put(prefix, List.copyOf(mappings)));
        return new Index(Map.copyOf(lists), Map.copyOf(handlers), Map.copyOf(directPaths));
    }

    /** {@code /api/v1/devices/{id}/properties} -> {@code /api/v1/devices}; {@code /{*path}} -> the empty key. */
    static String literalPrefix(String pattern) {
        StringBuilder prefix = new StringBuilder();
        int depth = 0;
        for (String segment : pattern.split("/")) {
            if (segment.isEmpty() && prefix.isEmpty() && depth == 0) {
                continue; // the leading separator
            }
            if (depth == DEPTH || segment.isEmpty() || segment.indexOf('{') >= 0 || segment.indexOf('*') >= 0
                    || segment.indexOf('?') >= 0) {
                break;
            }
            prefix.append('/').append(segment);
            depth++;
        }
        return prefix.toString();
    }

    /** Installs the indexed lookup as Spring MVC's {@code @RequestMapping} handler mapping. */
    @Configuration(proxyBeanMethods = false)
    static class Registration {
        @Bean
        WebMvcRegistrations indexedHandlerMapping() {
            return new WebMvcRegistrations() {
                @Override
                public RequestMappingHandlerMapping getRequestMappingHandlerMapping() {
                    return new IndexedHandlerMapping();
                }
            };
        }
    }
}
