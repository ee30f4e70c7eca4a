using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;

namespace Switchboard.Hosting;

/// <summary>A PKCS#12 file that protects the key ring at rest, and its password.</summary>
internal sealed record KeyRingCertificate(string Path, string? Password);

/// <summary>The key ring could not be set up as configured; the message names the setting and the reason.</summary>
internal sealed class KeyRingException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Where ASP.NET Core Data Protection keeps its keys and how they are protected at rest. The keys sign sessions and
/// anti-forgery tokens and decrypt the channel credentials stored in the database, so: the folder is created readable
/// by the service account only (0700 on Unix), and with <see cref="CertificateVariable"/> set, each key is itself
/// encrypted with that certificate, so a copy of the folder (a backup next to the database dump) opens nothing without
/// the certificate's private key. Without a certificate, Data Protection logs that keys are stored unencrypted; that
/// is the default on Linux, where no machine-wide key store exists.
/// </summary>
internal static class KeyRing
{
    public const string CertificateVariable = "SWITCHBOARD_KEYS_CERTIFICATE";
    public const string PasswordVariable = "SWITCHBOARD_KEYS_CERTIFICATE_PASSWORD";

    public static KeyRingCertificate? FromEnvironment() =>
        Environment.GetEnvironmentVariable(CertificateVariable) is { Length: > 0 } path
            ? new KeyRingCertificate(path, Environment.GetEnvironmentVariable(PasswordVariable))
            : null;

    /// <summary>Every process that shares a data folder (serve, the CLI, more instances) configures keys this way.</summary>
    public static IDataProtectionBuilder Configure(IDataProtectionBuilder builder, string directory, KeyRingCertificate? certificate)
    {
        builder.SetApplicationName("switchboard").PersistKeysToFileSystem(Prepare(directory));
        if (certificate is not null)
        {
            builder.ProtectKeysWithCertificate(Load(certificate));
        }

        return builder;
    }

    /// <summary>Runs a command that opens the key ring; a key ring that cannot be set up is "error: …" and exit code 2, not a stack trace.</summary>
    public static async Task<int> ReportingErrorsAsync(Func<Task<int>> run, TextWriter stderr)
    {
        try
        {
            return await run();
        }
        catch (KeyRingException e)
        {
            await stderr.WriteLineAsync("error: " + e.Message);
            return 2;
        }
    }

    private static DirectoryInfo Prepare(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return Directory.CreateDirectory(directory);
        }

        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var dir = Directory.CreateDirectory(directory, OwnerOnly);
        try
        {
            // A folder made by an older version (or by hand) is tightened too.
            if ((File.GetUnixFileMode(dir.FullName) & ~OwnerOnly) != 0)
            {
                File.SetUnixFileMode(dir.FullName, OwnerOnly);
            }
        }
        catch (UnauthorizedAccessException)
        {
            // Not ours to change: the operator has set it up deliberately.
        }

        return dir;
    }

    private static X509Certificate2 Load(KeyRingCertificate c)
    {
        if (!File.Exists(c.Path))
        {
            throw new KeyRingException($"{CertificateVariable}: '{c.Path}' does not exist");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(c.Path, c.Password);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new KeyRingException($"{CertificateVariable}: cannot load '{c.Path}' as a PKCS#12 certificate ({e.Message.Trim()}); check the file and {PasswordVariable}", e);
        }

        if (!certificate.HasPrivateKey)
        {
            throw new KeyRingException($"{CertificateVariable}: '{c.Path}' has no private key, so keys protected with it could never be read back");
        }

        return certificate;
    }
}
