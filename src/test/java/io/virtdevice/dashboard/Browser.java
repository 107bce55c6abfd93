package io.virtdevice.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.deque.html.axecore.results.Results;
import com.deque.html.axecore.results.Rule;
import com.deque.html.axecore.selenium.AxeBuilder;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, installed by {@code .ci/run})
 * driving the running app, with the checks every page gets: no Content-Security-Policy violation or script
 * error in the console, no serious or critical axe-core finding, and screenshots at 1280 and 390 px written
 * to {@code target/screenshots} (build artifacts, not committed).
 */
final class Browser implements AutoCloseable {

    static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static final String CHROMIUM = System.getProperty("chromium.binary", "/usr/bin/chromium");
    private static final String CHROMEDRIVER = System.getProperty("chromedriver.binary", "/usr/bin/chromedriver");

    final ChromeDriver driver;
    final String base;

    Browser(int port) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--lang=en-US");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        this.driver = new ChromeDriver(service, options);
        this.base = "http://localhost:" + port;
    }

    void open(String path) {
        driver.get(base + path);
    }

    WebElement find(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    WebDriverWait waiting() {
        // live updates replace elements while a check reads them
        return (WebDriverWait) new WebDriverWait(driver, Duration.ofSeconds(15))
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class);
    }

    /** Waits until the element's text contains the expected text. */
    void awaitText(String css, String expected) {
        waiting().withMessage(() -> css + " to show '" + expected + "'").until(d -> {
            List<WebElement> found = d.findElements(By.cssSelector(css));
            return !found.isEmpty() && found.getFirst().getText().contains(expected);
        });
    }

    /** Signs in through the login form and waits until the browser has left it. */
    void signIn(String email, String password) {
        open("/login");
        find("input[name=username]").sendKeys(email);
        find("input[name=password]").sendKeys(password);
        find("form.stacked button[type=submit]").click();
        waiting().until(d -> !d.getCurrentUrl().contains("/login"));
    }

    void awaitLive() {
        waiting().withMessage("the live stream to open")
                .until(d -> "open".equals(d.findElement(By.id("live-status")).getAttribute("data-state")));
    }

    /** Screenshots at 1280 and 390 px (the full page), an axe-core scan, and a console without errors. */
    void check(String name) {
        for (int width : new int[] {1280, 390}) {
            screenshot(name, width);
        }
        driver.manage().window().setSize(new Dimension(1280, 900));
        Results results = new AxeBuilder().analyze(driver);
        List<String> bad = results.getViolations().stream()
                .filter(v -> "serious".equals(v.getImpact()) || "critical".equals(v.getImpact()))
                .map(Browser::describe)
                .toList();
        assertThat(bad).as("axe-core on " + name).isEmpty();
        assertNoConsoleErrors(name);
    }

    void assertNoConsoleErrors(String name) {
        List<String> errors = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                // htmx reports a live update for a card this page does not show (the grid's device is on
                // another page) as an out-of-band target it did not find; nothing is wrong
                .filter(m -> !m.contains("oobErrorNoTarget"))
                .toList();
        assertThat(errors).as("browser console on " + name).isEmpty();
    }

    private void screenshot(String name, int width) {
        driver.manage().window().setSize(new Dimension(width, 900));
        Object height = ((JavascriptExecutor) driver).executeScript(
                "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight);");
        int h = Math.min(6000, Math.max(600, ((Number) height).intValue()));
        driver.manage().window().setSize(new Dimension(width, h));
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        try {
            Files.createDirectories(SCREENSHOTS);
            Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + "-" + width + ".png"),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String describe(Rule rule) {
        return rule.getImpact() + " " + rule.getId() + ": " + rule.getHelp() + " at "
                + rule.getNodes().stream().map(n -> String.valueOf(n.getTarget())).limit(3).toList();
    }

    WebDriver newTab() {
        return driver.switchTo().newWindow(org.openqa.selenium.WindowType.TAB);
    }

    @Override
    public void close() {
        driver.quit();
    }
}
