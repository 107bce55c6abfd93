package io.virtdevice.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.IntegrationTest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;

/**
 * The indexed {@code @RequestMapping} lookup chooses what Spring's full scan chooses, for a request to every
 * path of every mapping of the application, with each HTTP method, and for paths that match nothing.
 */
@IntegrationTest
class IndexedHandlerMappingTests {

    private static final String ID = "0f8fad5b-d9cb-469f-a165-70867728950e";

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mapping;

    @Test
    void isSpringMvcsRequestMappingLookup() {
        assertThat(mapping).isInstanceOf(IndexedHandlerMapping.class);
    }

    @Test
    void choosesWhatTheFullScanChooses() throws Exception {
        IndexedHandlerMapping indexed = (IndexedHandlerMapping) mapping;
        Set<String> paths = new LinkedHashSet<>();
        for (RequestMappingInfo info : indexed.getHandlerMethods().keySet()) {
            for (String pattern : info.getPatternValues()) {
                paths.add(concrete(pattern));
            }
        }
        assertThat(paths).contains("/api/v1/devices/" + ID + "/properties");
        paths.addAll(List.of("/", "/api", "/api/v1", "/api/v1/devices/", "/api/v1/nothing-here", "/API/v1/devices",
                "/api/v1/devices/" + ID + "/properties/extra", "/api/v1/devices/%7Bid%7D", "/api//v1/devices",
                "/api/v1/devices;x=1", "/no/such/page"));
        List<String> compared = new ArrayList<>();
        for (String path : paths) {
            for (RequestMethod method : RequestMethod.values()) {
                Outcome full = outcome(indexed, path, method, false);
                Outcome fast = outcome(indexed, path, method, true);
                assertThat(fast).as("%s %s", method, path).isEqualTo(full);
                compared.add(method + " " + path + " -> " + full);
            }
        }
        assertThat(compared).hasSizeGreaterThan(500)
                .contains("PUT /api/v1/devices/" + ID + "/properties -> Outcome[handler=DeviceController.setProperties,"
                        + " variables={id=" + ID + "}, error=null]");
    }

    @Test
    void keysMappingsByTheirLiteralLeadingSegments() {
        assertThat(IndexedHandlerMapping.literalPrefix("/api/v1/devices/{id}/properties")).isEqualTo("/api/v1/devices");
        assertThat(IndexedHandlerMapping.literalPrefix("/api/v1/devices")).isEqualTo("/api/v1/devices");
        assertThat(IndexedHandlerMapping.literalPrefix("/api/v1/team/members/{id}")).isEqualTo("/api/v1/team");
        assertThat(IndexedHandlerMapping.literalPrefix("/t/{token}")).isEqualTo("/t");
        assertThat(IndexedHandlerMapping.literalPrefix("/{*path}")).isEmpty();
        assertThat(IndexedHandlerMapping.literalPrefix("/")).isEmpty();
        assertThat(IndexedHandlerMapping.literalPrefix("/css/*.css")).isEqualTo("/css");
    }

    record Outcome(String handler, Object variables, String error) {}

    private static Outcome outcome(IndexedHandlerMapping mapping, String path, RequestMethod method, boolean fast) {
        MockHttpServletRequest request = new MockHttpServletRequest(method.name(), path);
        if (method == RequestMethod.POST || method == RequestMethod.PUT || method == RequestMethod.PATCH) {
            request.setContentType("application/json");
        }
        request.addHeader("Accept", "application/json");
        ServletRequestPathUtils.parseAndCache(request);
        String lookupPath = ServletRequestPathUtils.getParsedRequestPath(request).pathWithinApplication().value();
        try {
            HandlerMethod handler = fast ? mapping.lookupHandlerMethod(lookupPath, request)
                    : mapping.fullScan(lookupPath, request);
            return new Outcome(handler == null ? null
                            : handler.getBeanType().getSimpleName() + "." + handler.getMethod().getName(),
                    request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE), null);
        } catch (Exception e) {
            return new Outcome(null, null, e.getClass().getSimpleName());
        }
    }

    /** A path the pattern matches: variables filled with an id, wildcards with a segment. */
    private static String concrete(String pattern) {
        return pattern.replaceAll("\\{\\*[^}]*}", "a/b").replaceAll("\\{[^}]*}", ID).replace("**", "a/b")
                .replace("*", "x");
    }
}
