using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Hosting;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Hosting;

/// <summary>
/// The Data Protection key ring decrypts every stored channel credential: its folder is the service account's only,
/// and with a certificate configured a copy of it (say, in a backup) holds no readable key.
/// </summary>
public class KeyRingTests
{
    const string Secret = "keyring-SECRET-5c1d";

    static string KeysOf(RunningServer server) => new ServeSettings(server.Db, "", false, TimeSpan.Zero).KeysDirectory;

    static async Task CreateAccountAsync(RunningServer server)
    {
        using var admin = await server.AdminClientAsync();
        var body = System.Text.Json.JsonSerializer.Serialize(new
        {
            kind = "mastodon",
            name = "Brand",
            settings = new { instance = "https://mastodon.example", timelines = "notifications" },
            secrets = new { access_token = Secret },
        });
        var created = await admin.PostAsync("/api/channels", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    [Fact]
    public async Task The_key_folder_is_readable_by_the_service_account_only()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        await CreateAccountAsync(server);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(KeysOf(server)));
        }

        // Without a certificate the key is stored as Data Protection stores it on Linux: readable, so the folder must be guarded.
        Assert.Contains(Directory.GetFiles(KeysOf(server), "key-*.xml"), f => File.ReadAllText(f).Contains("<masterKey", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_a_certificate_every_key_is_encrypted_at_rest_and_secrets_still_work()
    {
        var dir = Directory.CreateTempSubdirectory("sb-keyring-");
        try
        {
            using var rsa = RSA.Create(2048);
            var request = new CertificateRequest("CN=switchboard-keyring-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            var pfx = Path.Combine(dir.FullName, "keyring.pfx");
            await File.WriteAllBytesAsync(pfx, cert.Export(X509ContentType.Pfx, "pfx-password"));

            await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"),
                configure: s => s with { KeysCertificate = new KeyRingCertificate(pfx, "pfx-password") });
            await CreateAccountAsync(server);
            var keys = Directory.GetFiles(KeysOf(server), "key-*.xml");
            Assert.NotEmpty(keys);
            Assert.All(keys, f =>
            {
                var xml = File.ReadAllText(f);
                Assert.Contains("encryptedSecret", xml, StringComparison.Ordinal);
                Assert.DoesNotContain("unencrypted form", xml, StringComparison.Ordinal);
            });

            // The credential round-trips through the protected key: the connector host can read it back.
            await using var conn = await server.Db.OpenAsync();
            var stored = await conn.ExecuteScalarAsync<string>("SELECT secrets_protected FROM channel_accounts");
            Assert.DoesNotContain(Secret, stored ?? "", StringComparison.Ordinal);
            var store = server.Services.GetRequiredService<Switchboard.Channels.Accounts.ChannelAccountStore>();
            var account = Assert.Single(await store.ListAsync());
            Assert.Equal(Secret, account.Secrets["access_token"]);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_certificate_that_cannot_be_used_is_a_clear_error_naming_the_setting()
    {
        var dir = Directory.CreateTempSubdirectory("sb-keyring-");
        try
        {
            var garbage = Path.Combine(dir.FullName, "not-a.pfx");
            File.WriteAllText(garbage, "this is not PKCS#12");
            var e = Assert.Throws<KeyRingException>(() =>
                KeyRing.Configure(new ServiceCollection().AddDataProtection(), Path.Combine(dir.FullName, "keys"), new KeyRingCertificate(garbage, null)));
            Assert.StartsWith($"{KeyRing.CertificateVariable}: cannot load '{garbage}'", e.Message, StringComparison.Ordinal);

            var missing = Path.Combine(dir.FullName, "missing.pfx");
            e = Assert.Throws<KeyRingException>(() =>
                KeyRing.Configure(new ServiceCollection().AddDataProtection(), Path.Combine(dir.FullName, "keys"), new KeyRingCertificate(missing, null)));
            Assert.Equal($"{KeyRing.CertificateVariable}: '{missing}' does not exist", e.Message);

            // A certificate without its private key could encrypt keys that nothing can ever decrypt.
            using var rsa = RSA.Create(2048);
            using var cert = new CertificateRequest("CN=public-only", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            var publicOnly = Path.Combine(dir.FullName, "public.pfx");
            using (var pub = X509CertificateLoader.LoadCertificate(cert.Export(X509ContentType.Cert)))
            {
                File.WriteAllBytes(publicOnly, pub.Export(X509ContentType.Pkcs12));
            }

            e = Assert.Throws<KeyRingException>(() =>
                KeyRing.Configure(new ServiceCollection().AddDataProtection(), Path.Combine(dir.FullName, "keys"), new KeyRingCertificate(publicOnly, null)));
            Assert.Contains("no private key", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Commands_report_a_key_ring_that_cannot_be_set_up_as_an_error_line_and_exit_code_2()
    {
        var err = new StringWriter();
        var code = await KeyRing.ReportingErrorsAsync(() => throw new KeyRingException($"{KeyRing.CertificateVariable}: '/x.pfx' does not exist"), err);
        Assert.Equal((2, $"error: {KeyRing.CertificateVariable}: '/x.pfx' does not exist"), (code, err.ToString().Trim()));
        Assert.Equal(0, await KeyRing.ReportingErrorsAsync(() => Task.FromResult(0), err));
    }
}
