package io.virtdevice.lambda;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The Lambda runs without the application around it: its classes may use only the JDK, the Lambda runtime's
 * interfaces and jackson-jr (with the jackson-core it sits on) — exactly what target/virtdevice-alexa-lambda.zip
 * carries ({@code LambdaPackageIT} checks the zip itself). Its {@code package-info} (the Spring Modulith
 * annotation) is not in the zip.
 */
class LambdaDependencyTests {

    @Test
    void theLambdaDependsOnlyOnTheJdkTheLambdaRuntimeInterfacesAndJacksonJr() {
        JavaClasses lambda = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.virtdevice.lambda");
        assertThat(lambda.stream().map(JavaClass::getSimpleName))
                .contains("AlexaLambda", "Forwarder", "Directive", "LambdaSettings");

        classes().that().doNotHaveSimpleName("package-info")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "io.virtdevice.lambda..",
                        "com.amazonaws.services.lambda.runtime..", "tools.jackson.jr..", "tools.jackson.core..")
                .check(lambda);
    }
}
