namespace Loyalty.Functions.Hosting;

/// <summary>Where the handler listens. Under the Functions host: the port in <c>FUNCTIONS_CUSTOMHANDLER_PORT</c>,
/// on loopback. Standalone: what <c>--urls</c> / <c>ASPNETCORE_URLS</c> say, else http://127.0.0.1:7071.</summary>
public static class HandlerUrls
{
    public const string PortSetting = "FUNCTIONS_CUSTOMHANDLER_PORT";
    public const string StandaloneDefault = "http://127.0.0.1:7071";

    /// <summary>Whether the Functions host runs this handler (else it is standalone and runs its own triggers).</summary>
    public static bool UnderFunctionsHost(IConfiguration configuration) => !string.IsNullOrEmpty(configuration[PortSetting]);

    public static void Configure(WebApplicationBuilder builder)
    {
        var port = builder.Configuration[PortSetting];
        if (!string.IsNullOrEmpty(port))
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }
        else if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(StandaloneDefault);
        }
    }
}
