//! Package URLs against the purl specification's own test suite (`test-suite-data.json`
//! and `tests/types/*-test.json` of package-url/purl-spec): each "build" case here gives the
//! components and the canonical string the spec expects.

mod packages_purl {
    use porthole_engine::packages::purl::{self, Purl};

    /// type, namespace, name, version, qualifiers, subpath, and the canonical purl.
    type Case<'a> = (
        &'a str,
        Option<&'a str>,
        &'a str,
        Option<&'a str>,
        &'a [(&'a str, &'a str)],
        Option<&'a str>,
        &'a str,
    );

    fn build(
        ty: &str,
        namespace: Option<&str>,
        name: &str,
        version: Option<&str>,
        qualifiers: &[(&str, &str)],
        subpath: Option<&str>,
    ) -> String {
        let mut p = Purl::new(ty, name)
            .namespace(namespace.map(str::to_owned))
            .version(version.map(str::to_owned))
            .subpath(subpath.map(str::to_owned));
        for (k, v) in qualifiers {
            p = p.qualifier(k, Some((*v).to_owned()));
        }
        p.to_string()
    }

    #[test]
    fn spec_build_cases() {
        let cases: &[Case] = &[
            (
                "maven",
                Some("org.apache.commons"),
                "io",
                Some("1.3.4"),
                &[],
                None,
                "pkg:maven/org.apache.commons/io@1.3.4",
            ),
            (
                "maven",
                Some("org.apache.commons"),
                "io",
                None,
                &[],
                None,
                "pkg:maven/org.apache.commons/io",
            ),
            (
                "golang",
                Some("google.golang.org"),
                "genproto",
                Some("abcdedf"),
                &[],
                Some("/googleapis/api/annotations/"),
                "pkg:golang/google.golang.org/genproto@abcdedf#googleapis/api/annotations",
            ),
            (
                "bitbucket",
                Some("birKenfeld"),
                "pyGments-main",
                Some("244fd47e07d1014f0aed9c"),
                &[],
                None,
                "pkg:bitbucket/birkenfeld/pygments-main@244fd47e07d1014f0aed9c",
            ),
            (
                "github",
                Some("Package-url"),
                "purl-Spec",
                Some("244fd47e07d1004f0aed9c"),
                &[],
                None,
                "pkg:github/package-url/purl-spec@244fd47e07d1004f0aed9c",
            ),
            (
                "deb",
                Some("debian"),
                "curl",
                Some("7.50.3-1"),
                &[("arch", "i386"), ("distro", "jessie")],
                None,
                "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie",
            ),
            (
                "deb",
                Some("debian"),
                "attr",
                Some("1:2.4.47-2"),
                &[("arch", "source")],
                None,
                "pkg:deb/debian/attr@1:2.4.47-2?arch=source",
            ),
            (
                "deb",
                Some("debian"),
                "attr",
                Some("1:2.4.47-2+b1"),
                &[("arch", "amd64")],
                None,
                "pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64",
            ),
            (
                "docker",
                Some("customer"),
                "dockerimage",
                Some("sha256:244fd47e07d1004f0aed9c"),
                &[("repository_url", "gcr.io")],
                None,
                "pkg:docker/customer/dockerimage@sha256:244fd47e07d1004f0aed9c?repository_url=gcr.io",
            ),
            (
                "gem",
                None,
                "jruby-launcher",
                Some("1.1.2"),
                &[("Platform", "java")],
                None,
                "pkg:gem/jruby-launcher@1.1.2?platform=java",
            ),
            (
                "maven",
                Some("org.apache.xmlgraphics"),
                "batik-anim",
                Some("1.9.1"),
                &[("type", "pom"), ("classifier", "sources")],
                None,
                "pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?classifier=sources&type=pom",
            ),
            (
                "npm",
                Some("@angular"),
                "animation",
                Some("12.3.1"),
                &[],
                None,
                "pkg:npm/%40angular/animation@12.3.1",
            ),
            (
                "nuget",
                None,
                "EnterpriseLibrary.Common",
                Some("6.0.1304"),
                &[],
                None,
                "pkg:nuget/EnterpriseLibrary.Common@6.0.1304",
            ),
            (
                "pypi",
                None,
                "Django_package",
                Some("1.11.1.dev1"),
                &[],
                None,
                "pkg:pypi/django-package@1.11.1.dev1",
            ),
            (
                "rpm",
                Some("fedora"),
                "curl",
                Some("7.50.3-1.fc25"),
                &[("arch", "i386"), ("distro", "fedora-25")],
                None,
                "pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25",
            ),
            (
                "rpm",
                None,
                "centerim",
                Some("4.22.10-1.el6"),
                &[("arch", "i686"), ("epoch", "1"), ("distro", "fedora-25")],
                None,
                "pkg:rpm/centerim@4.22.10-1.el6?arch=i686&distro=fedora-25&epoch=1",
            ),
            (
                "maven",
                Some("HTTPClient"),
                "HTTPClient",
                Some("0.3-3"),
                &[],
                None,
                "pkg:maven/HTTPClient/HTTPClient@0.3-3",
            ),
            (
                "maven",
                Some("mygroup"),
                "myartifact",
                Some("1.0.0 Final"),
                &[("mykey", "my value")],
                None,
                "pkg:maven/mygroup/myartifact@1.0.0%20Final?mykey=my%20value",
            ),
            (
                "conan",
                Some("bincrafters"),
                "cctz",
                Some("2.3"),
                &[("channel", "stable")],
                None,
                "pkg:conan/bincrafters/cctz@2.3?channel=stable",
            ),
            (
                "swift",
                Some("github.com/Alamofire"),
                "Alamofire",
                Some("5.4.3"),
                &[],
                None,
                "pkg:swift/github.com/Alamofire/Alamofire@5.4.3",
            ),
            (
                "generic",
                None,
                "openssl",
                Some("1.1.10g"),
                &[(
                    "checksum",
                    "sha1:ad9503c3e994a4f,sha256:41bf9088b3a1e6c1ef1d",
                )],
                None,
                "pkg:generic/openssl@1.1.10g?checksum=sha1:ad9503c3e994a4f%2Csha256:41bf9088b3a1e6c1ef1d",
            ),
            (
                "apk",
                Some("alpine"),
                "curl",
                Some("7.83.0-r0"),
                &[("arch", "x86")],
                None,
                "pkg:apk/alpine/curl@7.83.0-r0?arch=x86",
            ),
            (
                "cargo",
                None,
                "rand",
                Some("0.7.2"),
                &[],
                None,
                "pkg:cargo/rand@0.7.2",
            ),
            (
                "composer",
                Some("Laravel"),
                "Laravel",
                Some("5.5.0"),
                &[],
                None,
                "pkg:composer/laravel/laravel@5.5.0",
            ),
        ];
        for (ty, ns, name, version, qualifiers, subpath, want) in cases {
            assert_eq!(&build(ty, *ns, name, *version, qualifiers, *subpath), want);
        }
    }

    #[test]
    fn empty_qualifiers_are_dropped_and_helpers_split_names() {
        let p = Purl::new("deb", "curl")
            .namespace(Some("debian".to_owned()))
            .version(Some("7.88.1-10".to_owned()))
            .qualifier("arch", Some("amd64".to_owned()))
            .qualifier("distro", None::<String>)
            .qualifier("upstream", Some(String::new()))
            .to_string();
        assert_eq!(p, "pkg:deb/debian/curl@7.88.1-10?arch=amd64");
        assert_eq!(
            purl::golang("github.com/pkg/errors", Some("v0.9.1")),
            "pkg:golang/github.com/pkg/errors@v0.9.1"
        );
        assert_eq!(purl::golang("stdlib", None), "pkg:golang/stdlib");
        assert_eq!(
            purl::npm("@babel/core", "7.0.0"),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(purl::npm("left-pad", "1.3.0"), "pkg:npm/left-pad@1.3.0");
        assert_eq!(purl::encode("a b/c@d?e#f%+"), "a%20b%2Fc%40d%3Fe%23f%25%2B");
    }
}
