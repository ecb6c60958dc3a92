// The GET is keepalived 2.2.7's request_template, byte for byte.
import { describe, expect, test } from "bun:test";
import { httpRequest, parseHttpProtocol } from "../../../src/check/http-request.ts";

const v4 = { text: "10.0.0.7", family: 4 as const };

describe("httpRequest", () => {
  test("HTTP/1.0 without a virtualhost: the address and port as the Host", () => {
    expect(httpRequest({ path: "/health", protocol: "1.0", address: v4, port: 8080 })).toBe(
      "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.7:8080\r\n\r\n",
    );
  });

  test("1.0C and 1.1 ask the server to close; a virtualhost is the Host as given, without the port", () => {
    expect(httpRequest({ path: "/", protocol: "1.0C", address: v4, port: 80, virtualhost: "www.example.com" })).toBe(
      "GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.com\r\n\r\n",
    );
    expect(httpRequest({ path: "/", protocol: "1.1", address: v4, port: 80 })).toBe(
      "GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: 10.0.0.7:80\r\n\r\n",
    );
  });

  test("an IPv6 address goes in brackets (RFC 2732)", () => {
    expect(httpRequest({ path: "/", protocol: "1.0", address: { text: "2001:db8::5", family: 6 }, port: 443 })).toBe(
      "GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: [2001:db8::5]:443\r\n\r\n",
    );
  });
});

describe("parseHttpProtocol", () => {
  test("keepalived's values, 1.0 when unset, undefined for anything else", () => {
    expect(parseHttpProtocol(undefined)).toBe("1.0");
    expect(parseHttpProtocol("1.0")).toBe("1.0");
    expect(parseHttpProtocol("1.0c")).toBe("1.0C");
    expect(parseHttpProtocol("1.0C")).toBe("1.0C");
    expect(parseHttpProtocol("1.1")).toBe("1.1");
    expect(parseHttpProtocol("2")).toBeUndefined();
  });
});
