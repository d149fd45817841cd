<?php
/**
 * Builds the WordPress site behind tests/data/wordpress/fixture-site.xml, through WordPress's own API.
 *
 * With the kit in ../shared/wordpress-bench copied to /tmp and set up (./setup.sh), as root:
 *
 *   cd /tmp/wordpress-bench
 *   WP_TABLE_PREFIX=fixture_ php seed.php install
 *   WP_TABLE_PREFIX=fixture_ php /work/main/tests/data/wordpress/seed-fixture.php
 *   ./export.sh fixture_ fixture-site.xml   # then copy it to tests/data/wordpress/
 *
 * It covers what the importer must handle: authors (one Cyrillic display name), nested
 * categories with escaped names, a tag and a category sharing a slug, non-ASCII (percent-encoded)
 * slugs, block and classic content with [caption] and <!--more-->, attachments and a featured
 * image, every post status (publish, draft, pending, private, future), a sticky post, closed
 * comments and pings, pages nested two deep with menu order, a changed slug (_wp_old_slug), a
 * custom field, and comments in every status the exporter writes (1, 0, trash) plus pingbacks,
 * trackbacks, an editorial note and a thread six deep. Dates are fixed, so reruns export the same.
 * The site's address is http://crumb.example (nothing answers there: tests serve the uploads/ folder
 * beside this file from a local HTTP server instead).
 */

$_SERVER['HTTP_HOST']   = '127.0.0.1:8081';
$_SERVER['REQUEST_URI'] = '/';
$table_prefix = getenv('WP_TABLE_PREFIX') ?: 'fixture_';
define('DISABLE_WP_CRON', true);
require '/usr/share/wordpress/wp-load.php';
add_filter('pre_http_request', fn() => new WP_Error('no_http', 'no HTTP from the fixture site'));
// Pingbacks, trackbacks and notes go in as they are; WordPress's flood check is for people.
remove_all_filters('comment_flood_filter');

// Its own address: the bench site is 127.0.0.1:8081, and an importer keys everything on the site's address.
update_option('siteurl', 'http://crumb.example');
update_option('home', 'http://crumb.example');
update_option('blogname', 'Crumb & Column');
update_option('blogdescription', 'A baker\'s notebook');
update_option('thread_comments', 1);
update_option('thread_comments_depth', 10);
global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%year%/%monthnum%/%day%/%postname%/');

function must($value) {
    if (is_wp_error($value) || !$value) {
        fwrite(STDERR, 'failed: ' . (is_wp_error($value) ? $value->get_error_message() : var_export($value, true)) . "\n");
        exit(1);
    }
    return $value;
}

// ---- authors ---------------------------------------------------------------------------------
$ruth = get_user_by('login', 'ruth')->ID;
wp_update_user(['ID' => $ruth, 'first_name' => 'Ruth', 'last_name' => 'Calder', 'display_name' => 'Ruth Calder']);
$misha = must(wp_insert_user(['user_login' => 'misha', 'user_pass' => wp_generate_password(), 'user_email' => 'misha@example.com',
    'display_name' => 'Михаил Петров', 'first_name' => 'Михаил', 'last_name' => 'Петров', 'role' => 'author']));
$reader = must(wp_insert_user(['user_login' => 'hilda', 'user_pass' => wp_generate_password(), 'user_email' => 'hilda@example.net',
    'display_name' => 'Hilda Baker', 'role' => 'subscriber']));
foreach (['hello-world' => 'post', 'sample-page' => 'page'] as $slug => $type) {
    if ($p = get_page_by_path($slug, OBJECT, $type)) {
        wp_delete_post($p->ID, true);
    }
}

// ---- terms -----------------------------------------------------------------------------------
$food = must(wp_insert_term('Food & drink', 'category', ['slug' => 'food-drink', 'description' => 'Eating <em>well</em>.']))['term_id'];
$baking = must(wp_insert_term('Baking', 'category', ['slug' => 'baking', 'parent' => $food]))['term_id'];
$sourdough = must(wp_insert_term('Sourdough', 'category', ['slug' => 'sourdough', 'parent' => $baking]))['term_id'];
$news = must(wp_insert_term('Новости', 'category'))['term_id'];            // slug percent-encoded by WordPress
must(wp_insert_term('baking', 'post_tag', ['slug' => 'baking']));         // shares its slug with the category
must(wp_insert_term('Rye & spelt', 'post_tag', ['slug' => 'rye-spelt']));
must(wp_insert_term('日本', 'post_tag'));

// ---- attachments -----------------------------------------------------------------------------
$uploads = wp_upload_dir('2025/10');
wp_mkdir_p($uploads['path']);
function attach($name, $title, $parent, $uploads) {
    copy(__DIR__ . "/uploads/$name", $uploads['path'] . "/$name");
    $url = get_option('siteurl') . "/wp-content/uploads/2025/10/$name";   // the site's address, set above
    $id = must(wp_insert_attachment(['post_title' => $title, 'post_mime_type' => 'image/png', 'post_status' => 'inherit',
        'post_date' => '2025-10-01 08:00:00', 'post_date_gmt' => '2025-10-01 08:00:00', 'guid' => $url],
        $uploads['path'] . "/$name", $parent));
    update_post_meta($id, '_wp_attachment_image_alt', "$title (alt)");
    return [$id, $url];
}

function post(array $fields) {
    return must(wp_insert_post($fields + ['post_author' => $GLOBALS['ruth'], 'post_type' => 'post'], true));
}

// ---- a block-editor post: featured image, <!--more-->, threaded comments of every kind ----------
$loaf = post([
    'post_title' => 'A loaf a day: notes from the first month',
    'post_name' => 'a-loaf-a-day',
    'post_status' => 'publish',
    'post_date' => '2025-10-02 07:30:00', 'post_date_gmt' => '2025-10-02 06:30:00',
    'post_category' => [$sourdough, $baking],
    'tags_input' => ['baking', 'rye-spelt'],
    'post_content' => '',
]);
[$crumb_id, $crumb_url] = attach('crumb.png', 'The crumb', $loaf, $uploads);
[$oven_id, $oven_url] = attach('oven.png', 'The oven', $loaf, $uploads);
wp_update_post(['ID' => $loaf, 'post_content' => <<<HTML
<!-- wp:paragraph -->
<p>Thirty loaves in thirty days. Some were bricks; most were bread &amp; a few were <em>good</em>.</p>
<!-- /wp:paragraph -->

<!-- wp:more -->
<!--more-->
<!-- /wp:more -->

<!-- wp:image {"id":$crumb_id,"sizeSlug":"full","linkDestination":"none"} -->
<figure class="wp-block-image size-full"><img src="$crumb_url" alt="An open, glossy crumb" class="wp-image-$crumb_id"/><figcaption class="wp-element-caption">Day 21: finally, an open crumb.</figcaption></figure>
<!-- /wp:image -->

<!-- wp:heading -->
<h2 class="wp-block-heading">What changed</h2>
<!-- /wp:heading -->

<!-- wp:list -->
<ul><li>Warmer water</li><li>A longer bulk ferment</li></ul>
<!-- /wp:list -->

<!-- wp:html -->
<script>alert("not in my kitchen")</script><p onclick="steal()">Raw HTML block.</p>
<!-- /wp:html -->
HTML]);
set_post_thumbnail($loaf, $crumb_id);
add_post_meta($loaf, 'oven_temperature', '250C');

function comment($post, array $fields) {
    static $minute = 0;
    $minute += 7;
    $date = gmdate('Y-m-d H:i:s', strtotime('2025-10-03 10:00:00 UTC') + $minute * 60);
    return must(wp_insert_comment($fields + [
        'comment_post_ID' => $post, 'comment_approved' => 1, 'comment_type' => 'comment',
        'comment_date' => $date, 'comment_date_gmt' => $date,
        'comment_author_IP' => '203.0.113.' . (10 + $minute % 200), 'comment_agent' => 'Mozilla/5.0',
        'comment_author_email' => 'someone@example.org', 'comment_author_url' => '',
    ]));
}

$first = comment($loaf, ['comment_author' => 'Alice Brennan', 'comment_author_email' => 'alice@example.org',
    'comment_author_url' => 'https://alice.example/', 'comment_content' => "What flour did you use?\n\nMine is <strong>stoneground</strong> &amp; coarse."]);
$parent = $first;
foreach (['Ruth Calder' => $ruth, 'Alice Brennan' => 0, 'Hilda Baker' => $reader, 'Tomasz Nowak' => 0, 'Ruth Calder ' => $ruth] as $name => $user) {
    $parent = comment($loaf, ['comment_author' => trim($name), 'user_id' => $user, 'comment_parent' => $parent,
        'comment_author_email' => $user ? get_userdata($user)->user_email : 'tomasz@example.org',
        'comment_content' => "A reply, one level deeper than the comment it answers (by $name)."]);
}
comment($loaf, ['comment_author' => 'Link Lover', 'comment_content' => 'See <a href="https://bread.example/recipe" onclick="x()">my recipe</a> and <a href="javascript:alert(1)">this</a>. <script>alert(2)</script>']);
comment($loaf, ['comment_author' => 'Pending Pat', 'comment_approved' => 0, 'comment_content' => 'Waiting for the baker to approve me.']);
comment($loaf, ['comment_author' => 'Trashed Tim', 'comment_approved' => 'trash', 'comment_content' => 'Thrown away, but kept in the trash.']);
comment($loaf, ['comment_author' => 'Spammy Sam', 'comment_approved' => 'spam', 'comment_content' => 'Cheap watches.']);
comment($loaf, ['comment_author' => 'The Rye Review', 'comment_type' => 'pingback', 'comment_author_email' => '',
    'comment_author_url' => 'https://rye.example/2025/10/week-in-bread/', 'comment_content' => '[&#8230;] Ruth has baked thirty loaves [&#8230;]']);
comment($loaf, ['comment_author' => 'Crust Weekly', 'comment_type' => 'trackback', 'comment_author_email' => '',
    'comment_author_url' => 'https://crust.example/links/', 'comment_content' => '<strong>Links of the week</strong> A month of sourdough.']);
comment($loaf, ['comment_author' => 'Ruth Calder', 'user_id' => $ruth, 'comment_type' => 'note', 'comment_approved' => 0,
    'comment_author_email' => 'ruth@example.com', 'comment_content' => 'Editorial note: check the hydration numbers before the book.']);

// ---- a classic-editor post: no <p>, [caption], <!--more-->, entities; its slug changed later ----
$classic = post([
    'post_title' => 'Rye, spelt &amp; patience',
    'post_name' => 'rye-and-spelt',
    'post_status' => 'publish',
    'post_author' => $misha,
    'post_date' => '2025-09-12 18:00:00', 'post_date_gmt' => '2025-09-12 17:00:00',
    'post_category' => [$baking],
    'tags_input' => ['rye-spelt'],
    'post_excerpt' => 'Why rye needs <em>time</em>.',
    'comment_status' => 'closed',
    'ping_status' => 'closed',
    'post_content' => "Rye doesn&#8217;t behave like wheat.\nIt is sticky, and it never really rises.\n\n"
        . "[caption id=\"attachment_$oven_id\" align=\"aligncenter\" width=\"300\"]<img class=\"size-medium wp-image-$oven_id\" src=\"$oven_url\" alt=\"The oven\" width=\"300\" height=\"200\" /> The oven, at 250&deg;C[/caption]\n\n"
        . "<!--more-->\n\nSpelt is kinder. Bake both &amp; compare.\n\n<ul>\n<li>Rye: 100%</li>\n<li>Spelt: 80%</li>\n</ul>\n\n[gallery ids=\"$crumb_id,$oven_id\"]",
]);
wp_update_post(['ID' => $classic, 'post_name' => 'rye-spelt-and-patience']);   // keeps _wp_old_slug rye-and-spelt
comment($classic, ['comment_author' => 'Greta', 'comment_content' => 'Before comments were closed: thank you!']);

// ---- non-ASCII slugs (WordPress percent-encodes them) ---------------------------------------------
post(['post_title' => 'Хлеб на закваске', 'post_status' => 'publish', 'post_author' => $misha,
    'post_date' => '2025-09-20 09:00:00', 'post_date_gmt' => '2025-09-20 08:00:00', 'post_category' => [$news],
    'post_content' => '<!-- wp:paragraph --><p>Ржаной хлеб, день первый.</p><!-- /wp:paragraph -->']);
$tokyo = post(['post_title' => '東京の朝のパン', 'post_status' => 'publish',
    'post_date' => '2025-09-21 09:00:00', 'post_date_gmt' => '2025-09-21 00:00:00', 'tags_input' => ['日本'],
    'post_content' => '<!-- wp:paragraph --><p>朝のパン。</p><!-- /wp:paragraph -->']);
comment($tokyo, ['comment_author' => '山田', 'comment_content' => 'おいしそう！']);

// ---- every other status, and a sticky post ---------------------------------------------------
post(['post_title' => 'Half-written: starters', 'post_status' => 'draft', 'post_name' => 'starters',
    'post_content' => "A draft.\n\nStill a draft."]);
post(['post_title' => 'Waiting for review', 'post_status' => 'pending', 'post_name' => 'waiting-for-review',
    'post_author' => $misha, 'post_content' => 'Pending review.']);
post(['post_title' => 'Private: costs', 'post_status' => 'private', 'post_name' => 'costs',
    'post_date' => '2025-09-01 12:00:00', 'post_date_gmt' => '2025-09-01 11:00:00', 'post_content' => 'Flour is dear.']);
post(['post_title' => 'Christmas stollen', 'post_status' => 'future', 'post_name' => 'christmas-stollen',
    'post_date' => '2030-12-20 08:00:00', 'post_date_gmt' => '2030-12-20 08:00:00', 'post_content' => 'Scheduled.']);
$sticky = post(['post_title' => 'Start here', 'post_status' => 'publish', 'post_name' => 'start-here',
    'post_date' => '2025-08-01 08:00:00', 'post_date_gmt' => '2025-08-01 07:00:00',
    'post_content' => '<!-- wp:paragraph --><p>Welcome to the notebook.</p><!-- /wp:paragraph -->']);
stick_post($sticky);

// ---- pages, nested, with menu order ----------------------------------------------------------
$about = post(['post_type' => 'page', 'post_title' => 'About', 'post_name' => 'about', 'post_status' => 'publish',
    'menu_order' => 1, 'post_date' => '2025-08-01 09:00:00', 'post_date_gmt' => '2025-08-01 08:00:00',
    'post_content' => '<!-- wp:paragraph --><p>Ruth bakes; Misha eats.</p><!-- /wp:paragraph -->']);
post(['post_type' => 'page', 'post_title' => 'The oven', 'post_name' => 'oven', 'post_status' => 'publish',
    'post_parent' => $about, 'menu_order' => 2, 'post_date' => '2025-08-01 09:05:00', 'post_date_gmt' => '2025-08-01 08:05:00',
    'post_content' => "A wood-fired oven.\n\nIt takes two hours to heat."]);
comment($about, ['comment_author' => 'Visitor', 'comment_content' => 'Lovely page.']);

$wp_rewrite->flush_rules(false);
fwrite(STDERR, "fixture site seeded\n");
