using Microsoft.Playwright;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// Debian's chromium (installed by ./test.sh) for the browser journeys: one way to launch it, open a page and sign in.
/// </summary>
internal static class Chromium
{
    public const string DemoPassword = "switchboard-demo";

    /// <summary>Headless chromium without the background traffic (updates, sync, QUIC) that slows a shared machine.</summary>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });

    /// <summary>A page in a context of its own (its own cookies), so each signed-in person is a separate browser.</summary>
    public static async Task<IPage> NewPageAsync(IBrowser browser, int height = 900)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = height } });
        return await context.NewPageAsync();
    }

    /// <summary>Signs in through the login form and waits for the inbox.</summary>
    public static async Task SignInAsync(this IPage page, Uri server, string email, string password = DemoPassword)
    {
        await page.GotoAsync(new Uri(server, "/login").ToString());
        await page.FillAsync("input[name=email]", email);
        await page.FillAsync("input[name=password]", password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("#inbox");
    }
}
