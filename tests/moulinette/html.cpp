// html.cpp — the page is the JSON report plus a renderer: report_page.css and report_page.js are
// compiled in (html_assets.h, made by the Makefile), so the page needs no file and no network.
#include "html.h"

#include <cstdio>
#include <cstdlib>

#include "html_assets.h"

int mt_write_html(const std::string &path, json_t *doc)
{
    // JSON_ESCAPE_SLASH: the report cannot close its own <script> element ("</script>" in a detail).
    char *data = json_dumps(doc, JSON_COMPACT | JSON_ESCAPE_SLASH | JSON_ENSURE_ASCII);
    FILE *f = fopen(path.c_str(), "w");
    if (!data || !f) {
        fprintf(stderr, "moulinette: cannot write %s\n", path.c_str());
        if (f) fclose(f);
        free(data);
        return -1;
    }
    fprintf(f,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>moulinette report</title>\n<style>\n%s</style>\n</head>\n<body>\n"
            "<main id=\"report\"><p>This report is drawn by JavaScript; the data is in the page.</p></main>\n"
            "<script type=\"application/json\" id=\"report-data\">%s</script>\n<script>\n%s</script>\n</body></html>\n",
            mt_html_css, data, mt_html_js);
    free(data);
    return fclose(f) == 0 ? 0 : -1;
}
