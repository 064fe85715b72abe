; The post's 2-byte overflow, with memboss linked in (gcc prog.o build/libmemboss.a) instead
; of preloaded: the program's own malloc is memboss, check mode comes from MEMBOSS_OPTIONS.
; LINK: static
; EXPECT: memboss: ERROR: heap-buffer-overflow
; EXPECT: WRITE at
; EXPECT: 2-byte block
; EXPECT: in main
; EXPECT-STATUS: 139
        global  main
        extern  malloc
        section .text
main:
        push    rbx
        mov     rdi, 2
        call    malloc
        mov     rcx, 0x1122334455667788
        mov     [rax], rcx
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
