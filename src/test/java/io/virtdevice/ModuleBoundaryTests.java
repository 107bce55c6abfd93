package io.virtdevice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.springframework.modulith.ApplicationModule;
import org.springframework.modulith.core.ApplicationModules;

/**
 * The module rules of docs/architecture.md: each top-level package under {@code io.virtdevice} is a module;
 * {@code platform} is the shared plumbing (an open module, usable by all, depending on none of the others);
 * every feature module names the modules it may use in its {@code package-info.java}
 * ({@code @ApplicationModule(allowedDependencies = …)}), uses only their top-level package (their API), and
 * no two modules depend on each other in a cycle.
 */
class ModuleBoundaryTests {

    static final ApplicationModules MODULES = ApplicationModules.of(VirtDeviceApplication.class);

    @Test
    void modulesUseOnlyTheModulesTheyNameWithoutCycles() {
        MODULES.verify();
    }

    @Test
    void everyFeatureModuleNamesItsAllowedDependencies() {
        Map<String, List<String>> declared = new TreeMap<>();
        MODULES.forEach(module -> {
            ApplicationModule rules = packageAnnotation(module.getBasePackage().getName());
            declared.put(module.getIdentifier().toString(),
                    rules == null ? null : List.of(rules.allowedDependencies()));
        });
        // platform: none (an explicit empty list, which verify() enforces)
        assertThat(declared).as("modules and what they may use").containsEntry("platform", List.of());
        // lambda: none either — the Alexa Lambda runs alone, without Spring (LambdaDependencyTests)
        assertThat(declared).containsEntry("lambda", List.of());
        declared.forEach((module, allowed) -> {
            if (!module.equals("platform") && !module.equals("lambda")) {
                assertThat(allowed).as("allowed dependencies of %s", module).isNotNull().contains("platform");
            }
        });
    }

    private static ApplicationModule packageAnnotation(String packageName) {
        try {
            return Class.forName(packageName + ".package-info").getAnnotation(ApplicationModule.class);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }
}
