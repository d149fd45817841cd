<?php
/**
 * Builds the WordPress site behind tests/data/wordpress/round-trip-site.xml, through WordPress's own API:
 * a block-editor site as an author leaves it, for the round trip WordPress -> this site -> WordPress.
 *
 * With the kit in ../shared/wordpress-bench copied to /tmp and set up (./setup.sh), as root:
 *
 *   cd /tmp/wordpress-bench
 *   WP_TABLE_PREFIX=roundtrip_ php seed.php install
 *   WP_TABLE_PREFIX=roundtrip_ php /work/main/tests/data/wordpress/seed-round-trip.php
 *   ./export.sh roundtrip_ round-trip-site.xml   # then copy it to tests/data/wordpress/
 *
 * To build it again, drop the roundtrip_* tables first (seed.php install refuses an installed site).
 *
 * It holds what a round trip must keep: a post in many kinds of block (nested columns, a gallery, a
 * cover whose picture is named in the block's attributes, code, a table, a shortcode block), with
 * <!--more-->, a featured image and custom fields of every shape (serialized, repeated, multi-line,
 * a plugin's private one); a classic post with [caption] and a <!--more--> of its own words; a page
 * in blocks. Its comments are those a technical blog gets: text naming tags in entities, real markup,
 * and hostile markup, typed by guests (so stored as WordPress stores a guest's comment, through kses)
 * and stored raw (as an administrator's, or an import's). Each comment carries in the comment meta
 * `shown_by_wordpress` what WordPress shows for it (its comment_text filters, without the typographic
 * ones: curly quotes, smilies, "WordPress" spelling, which this site does not apply), so the tests
 * compare this site's rendering with WordPress's own. Dates are fixed and WordPress's sample content (its
 * Privacy Policy draft too) is deleted, so reruns export the same but for the export's date in its header.
 * The site's address is http://roundtrip.example (nothing answers there: tests serve the uploads/
 * folder beside this file instead).
 */

$_SERVER['HTTP_HOST']   = '127.0.0.1:8081';
$_SERVER['REQUEST_URI'] = '/';
$table_prefix = getenv('WP_TABLE_PREFIX') ?: 'roundtrip_';
define('DISABLE_WP_CRON', true);
require '/usr/share/wordpress/wp-load.php';
add_filter('pre_http_request', fn() => new WP_Error('no_http', 'no HTTP from the round-trip site'));
remove_all_filters('comment_flood_filter');

update_option('siteurl', 'http://roundtrip.example');
update_option('home', 'http://roundtrip.example');
update_option('blogname', 'Tags & Types');
update_option('blogdescription', 'Notes on markup');
update_option('thread_comments', 1);
global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%year%/%monthnum%/%day%/%postname%/');

function must($value) {
    if (is_wp_error($value) || !$value) {
        fwrite(STDERR, 'failed: ' . (is_wp_error($value) ? $value->get_error_message() : var_export($value, true)) . "\n");
        exit(1);
    }
    return $value;
}

$ruth = get_user_by('login', 'ruth')->ID;
wp_update_user(['ID' => $ruth, 'first_name' => 'Ruth', 'last_name' => 'Calder', 'display_name' => 'Ruth Calder']);
wp_set_current_user($ruth);   // an administrator writes the posts (unfiltered HTML, as in the block editor)
foreach (['hello-world' => 'post', 'sample-page' => 'page', 'privacy-policy' => 'page'] as $slug => $type) {
    if ($p = get_page_by_path($slug, OBJECT, $type)) {
        wp_delete_post($p->ID, true);
    }
}
$markup = must(wp_insert_term('Markup', 'category', ['slug' => 'markup']))['term_id'];
must(wp_insert_term('HTML & CSS', 'post_tag', ['slug' => 'html-css']));

// ---- attachments -----------------------------------------------------------------------------
$uploads = wp_upload_dir('2025/10');
wp_mkdir_p($uploads['path']);
function attach($name, $title, $parent, $uploads) {
    copy(__DIR__ . "/uploads/$name", $uploads['path'] . "/$name");
    $url = get_option('siteurl') . "/wp-content/uploads/2025/10/$name";
    $id = must(wp_insert_attachment(['post_title' => $title, 'post_mime_type' => 'image/png', 'post_status' => 'inherit',
        'post_date' => '2025-10-01 08:00:00', 'post_date_gmt' => '2025-10-01 08:00:00', 'guid' => $url],
        $uploads['path'] . "/$name", $parent));
    update_post_meta($id, '_wp_attachment_image_alt', "$title (alt)");
    return [$id, $url];
}

function post(array $fields) {
    return must(wp_insert_post($fields + ['post_author' => $GLOBALS['ruth'], 'post_type' => 'post',
        'post_status' => 'publish', 'post_category' => [$GLOBALS['markup']]], true));
}

// ---- a post in blocks: every kind a round trip can lose ---------------------------------------
$blocks = post(['post_title' => 'Blocks, all the way down', 'post_name' => 'blocks-all-the-way-down',
    'post_date' => '2025-11-02 09:00:00', 'post_date_gmt' => '2025-11-02 09:00:00', 'tags_input' => ['html-css'],
    'post_content' => '']);
[$crumb_id, $crumb_url] = attach('crumb.png', 'The crumb', $blocks, $uploads);
[$oven_id, $oven_url] = attach('oven.png', 'The oven', $blocks, $uploads);
wp_update_post(['ID' => $blocks, 'post_content' => <<<HTML
<!-- wp:paragraph {"dropCap":true} -->
<p class="has-drop-cap">Markup is <strong>text</strong> about text: <a href="https://html.spec.whatwg.org/">the spec</a> says so, &amp; so do we.</p>
<!-- /wp:paragraph -->

<!-- wp:more {"customText":"Read the rest"} -->
<!--more Read the rest-->
<!-- /wp:more -->

<!-- wp:heading {"level":3} -->
<h3 class="wp-block-heading">Columns</h3>
<!-- /wp:heading -->

<!-- wp:columns -->
<div class="wp-block-columns"><!-- wp:column -->
<div class="wp-block-column"><!-- wp:paragraph -->
<p>Left.</p>
<!-- /wp:paragraph --></div>
<!-- /wp:column -->

<!-- wp:column -->
<div class="wp-block-column"><!-- wp:image {"id":$oven_id,"sizeSlug":"medium","linkDestination":"media"} -->
<figure class="wp-block-image size-medium"><a href="$oven_url"><img src="$oven_url" alt="The oven" class="wp-image-$oven_id"/></a></figure>
<!-- /wp:image --></div>
<!-- /wp:column --></div>
<!-- /wp:columns -->

<!-- wp:gallery {"linkTo":"none"} -->
<figure class="wp-block-gallery has-nested-images columns-default is-cropped"><!-- wp:image {"id":$crumb_id,"sizeSlug":"large","linkDestination":"none"} -->
<figure class="wp-block-image size-large"><img src="$crumb_url" alt="The crumb" class="wp-image-$crumb_id"/></figure>
<!-- /wp:image -->

<!-- wp:image {"id":$oven_id,"sizeSlug":"large","linkDestination":"none"} -->
<figure class="wp-block-image size-large"><img src="$oven_url" alt="The oven" class="wp-image-$oven_id"/><figcaption class="wp-element-caption">Oven, <em>hot</em></figcaption></figure>
<!-- /wp:image --></figure>
<!-- /wp:gallery -->

<!-- wp:cover {"url":"$crumb_url","id":$crumb_id,"dimRatio":50} -->
<div class="wp-block-cover"><span aria-hidden="true" class="wp-block-cover__background has-background-dim"></span><img class="wp-block-cover__image-background wp-image-$crumb_id" alt="" src="$crumb_url" data-object-fit="cover"/><div class="wp-block-cover__inner-container"><!-- wp:paragraph {"align":"center"} -->
<p class="has-text-align-center">On a cover</p>
<!-- /wp:paragraph --></div></div>
<!-- /wp:cover -->

<!-- wp:quote -->
<blockquote class="wp-block-quote"><!-- wp:paragraph -->
<p>Be liberal in what you accept.</p>
<!-- /wp:paragraph --><cite>Jon Postel</cite></blockquote>
<!-- /wp:quote -->

<!-- wp:code -->
<pre class="wp-block-code"><code>&lt;b&gt;bold&lt;/b&gt; &amp;amp; &lt;!-- not a block --&gt;</code></pre>
<!-- /wp:code -->

<!-- wp:table -->
<figure class="wp-block-table"><table><tbody><tr><td>&lt;em&gt;</td><td>emphasis</td></tr></tbody></table></figure>
<!-- /wp:table -->

<!-- wp:separator -->
<hr class="wp-block-separator has-alpha-channel-opacity"/>
<!-- /wp:separator -->

<!-- wp:shortcode -->
[gallery ids="$crumb_id,$oven_id"]
<!-- /wp:shortcode -->

<!-- wp:buttons -->
<div class="wp-block-buttons"><!-- wp:button -->
<div class="wp-block-button"><a class="wp-block-button__link wp-element-button" href="https://example.org/subscribe">Subscribe</a></div>
<!-- /wp:button --></div>
<!-- /wp:buttons -->
HTML]);
$wpdb->update($wpdb->posts, ['post_modified' => '2025-11-02 09:00:00', 'post_modified_gmt' => '2025-11-02 09:00:00'],
    ['ID' => $blocks]);   // wp_update_post() dates the edit now
set_post_thumbnail($blocks, $crumb_id);
add_post_meta($blocks, 'reading_time', '4 minutes');
add_post_meta($blocks, 'source', 'https://example.org/a');
add_post_meta($blocks, 'source', 'https://example.org/b');                 // one key, two values
add_post_meta($blocks, 'settings', ['tabs' => 2, 'wrap' => true, 'name' => 'Zoë']);   // serialized by WordPress
add_post_meta($blocks, 'note', "Two lines,\nand <em>markup</em> & an ampersand.");
add_post_meta($blocks, '_seo_description', 'Blocks, kept.');                 // a plugin's own field

// ---- a classic post: no <p>, [caption], a <!--more--> with its own words -----------------------------
post(['post_title' => 'Classic &amp; captioned', 'post_name' => 'classic-and-captioned',
    'post_date' => '2025-11-01 09:00:00', 'post_date_gmt' => '2025-11-01 09:00:00',
    'post_content' => "First paragraph, with a line\nbreak.\n\n"
        . "[caption id=\"attachment_$oven_id\" align=\"alignleft\" width=\"60\"]<img class=\"size-full wp-image-$oven_id\" src=\"$oven_url\" alt=\"The oven\" width=\"60\" height=\"40\" /> The oven &amp; its <em>door</em>[/caption]\n\n"
        . "<!--more Keep reading &rarr;-->\n\nAfter the fold.\n\n<pre>  indented\n\n  code</pre>"]);

// ---- a page in blocks --------------------------------------------------------------------------
post(['post_type' => 'page', 'post_title' => 'Colophon', 'post_name' => 'colophon', 'post_category' => [],
    'post_date' => '2025-11-01 10:00:00', 'post_date_gmt' => '2025-11-01 10:00:00',
    'post_content' => "<!-- wp:heading -->\n<h2 class=\"wp-block-heading\">Set in type</h2>\n<!-- /wp:heading -->\n\n"
        . "<!-- wp:list {\"ordered\":true} -->\n<ol><li>Write</li><li>Mark up</li></ol>\n<!-- /wp:list -->"]);

// ---- comments: as guests type them (through kses), and stored raw -----------------------------------
// Stored as wp_new_comment() stores a guest's (wp_filter_comment: kses on what they typed), or `$raw` as it is.
function comment($post, $content, $author, array $fields = [], $raw = false) {
    static $minute = 0;
    $minute += 7;
    $date = gmdate('Y-m-d H:i:s', strtotime('2025-11-03 10:00:00 UTC') + $minute * 60);
    $data = wp_slash($fields + ['comment_post_ID' => $post, 'comment_approved' => 1, 'comment_type' => 'comment',
        'comment_date' => $date, 'comment_date_gmt' => $date, 'comment_author' => $author,
        'comment_author_IP' => '203.0.113.' . (10 + $minute % 200), 'comment_agent' => 'Mozilla/5.0',
        'comment_author_email' => strtolower(strtok($author, ' ')) . '@example.org', 'comment_author_url' => '',
        'comment_content' => $content, 'comment_parent' => 0, 'user_id' => 0]);
    return must(wp_insert_comment($raw ? $data : wp_filter_comment($data)));
}

wp_set_current_user(0);   // a guest: kses filters what they type, as on the comment form
$literal = comment($blocks, 'Use &lt;strong&gt; instead of &lt;b&gt;, and write a &amp; as &amp;amp;.', 'Lena Typed');
comment($blocks, "See <a href=\"https://bread.example/recipe?a=1&amp;b=2\" title=\"t\" target=\"_blank\">my recipe</a>, <strong>really</strong>: <code>&lt;div class=\"x\"&gt;</code>\n\n<em>Thanks</em>, <b>b</b> <i>i</i> <del>gone</del> <q>said</q> <s>struck</s>\n<blockquote>Quoted\n\nand again</blockquote>\na < b & c > d", 'Marco Markup', ['comment_parent' => $literal]);
comment($blocks, "Paragraph one\nwith a break.\n\nParagraph two, a bare link https://example.org/x?y=1&z=2 and &#8220;quotes&#8221; &hellip; &nbsp;end.", 'Pat Plain');
comment($blocks, '<script>alert("s")</script><img src=x onerror=alert("i")>Hi <a href="javascript:alert(\'j\')" onclick="alert(\'c\')">there</a><style>body{display:none}</style><iframe src="https://evil.example/"></iframe>', 'Guest Hostile');
comment($blocks, '<p>Typed <span style="color:red">with</span> <u>tags</u> <h1>kses</h1> drops</p><p>second</p>', 'Tag Tester');
wp_set_current_user($ruth);   // an administrator's, stored as they are
comment($blocks, '<script>alert("raw")</script><img src=x onerror=alert("raw")>Stored raw, <a href="javascript:alert(1)">as an import may</a> <em>store</em> it.', 'Raw Hostile', [], true);
comment($blocks, 'Thanks! I fixed it: use <code>&lt;strong&gt;</code>.', 'Ruth Calder',
    ['user_id' => $ruth, 'comment_author_email' => 'ruth@example.com', 'comment_parent' => $literal], true);

// What WordPress shows for each comment, but for its typographic filters.
remove_filter('comment_text', 'wptexturize');
remove_filter('comment_text', 'convert_smilies', 20);
remove_filter('comment_text', 'capital_P_dangit', 31);
foreach (get_comments(['post_id' => $blocks, 'status' => 'all']) as $c) {
    add_comment_meta($c->comment_ID, 'shown_by_wordpress', apply_filters('comment_text', get_comment_text($c), $c, []));
}

$wp_rewrite->flush_rules(false);
fwrite(STDERR, "round-trip site seeded\n");
